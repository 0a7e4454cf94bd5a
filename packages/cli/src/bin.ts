#!/usr/bin/env node
import type { InterruptChannel, InterruptSignal } from "@alpiq/memray-core";
import { processIo } from "./cli-io.js";
import { commandNameOf } from "./command-catalog.js";
import { colorEnabled, hasFlag } from "./output-mode.js";

const argv = process.argv.slice(2);

// Plain text unless stderr is a terminal (and NO_COLOR is unset): set before picocolors is loaded,
// so every module (and the harness) sees the same decision.
if (!colorEnabled(process.env, process.stderr)) process.env.NO_COLOR = "1";

// Help and version do no work that could be interrupted: they load neither core nor a command.
const helpOnly = hasFlag(argv, "--help", "-h", "--version", "-V") || argv[0] === "help";
const profiling = argv.length === 0 || ["profile", "run", "menu", "recover"].includes(commandNameOf(argv) ?? "");

// Ctrl-C and SIGTERM never kill memray-cli outright: the first stops the workload and keeps what was
// measured, the second abandons the reports, the third stops the profiled process at once; a fourth leaves.
let interrupts: InterruptChannel | undefined;
const aborter = new AbortController();
const MESSAGES = profiling
  ? [
      "stopping: finishing the run with what was captured so far (Ctrl-C again to skip the reports)",
      "skipping the remaining reports; writing summary.json (Ctrl-C again to stop at once)",
      "stopping at once",
    ]
  : ["stopping (Ctrl-C again to stop at once)", "stopping at once"];
let received = 0;
const onSignal = (signal: InterruptSignal) => {
  received += 1;
  if (received > MESSAGES.length || !interrupts) process.exit(signal === "SIGTERM" ? 143 : 130);
  process.stderr.write(`\n${MESSAGES[received - 1]}\n`);
  interrupts.emit(signal);
  aborter.abort(signal); // the reason tells readers Ctrl-C (130) from SIGTERM (143)
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

if (!helpOnly) interrupts = new (await import("@alpiq/memray-core")).InterruptChannel();
const { main } = await import("./main.js");
process.exitCode = await main(argv, { ...processIo(), signal: aborter.signal, interrupts });
process.exit();
