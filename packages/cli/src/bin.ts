#!/usr/bin/env node
import { processIo } from "./cli-io.js";
import { main } from "./main.js";

// First Ctrl-C: stop the profiled process and finish the run directory; second: leave at once.
const interrupt = new AbortController();
process.on("SIGINT", () => {
  if (interrupt.signal.aborted) process.exit(130);
  process.stderr.write("\nstopping: writing what was captured so far (Ctrl-C again to quit at once)\n");
  interrupt.abort();
});

process.exitCode = await main(process.argv.slice(2), { ...processIo(), signal: interrupt.signal });
process.exit();
