#!/usr/bin/env node
import { InterruptChannel, type InterruptSignal } from "@alpiq/memray-core";
import { processIo } from "./cli-io.js";
import { main } from "./main.js";

// Ctrl-C and SIGTERM never kill memray-cli outright: the first stops the workload and keeps what was
// measured, the second abandons the reports, the third stops the profiled process at once; a fourth leaves.
const interrupts = new InterruptChannel();
const aborter = new AbortController();
const MESSAGES = [
  "stopping: finishing the run with what was captured so far (Ctrl-C again to skip the reports)",
  "skipping the remaining reports; writing summary.json (Ctrl-C again to stop at once)",
  "stopping at once",
];
const onSignal = (signal: InterruptSignal) => {
  const count = interrupts.received.length + 1;
  if (count > MESSAGES.length) process.exit(signal === "SIGTERM" ? 143 : 130);
  process.stderr.write(`\n${MESSAGES[count - 1]}\n`);
  interrupts.emit(signal);
  aborter.abort();
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

process.exitCode = await main(process.argv.slice(2), { ...processIo(), signal: aborter.signal, interrupts });
process.exit();
