import pc from "picocolors";
import { describeCauseChain, visibleText, type MemrayError } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { colorEnabled, errorStream } from "./output-mode.js";

/**
 * An error as the CLI shows it: the message and hint; with --verbose its code, exit code and causes.
 * Shown even with --quiet. Messages often quote a run or a workload (an exception, a file's first
 * bytes in a JSON error, a path): control characters in them are written out, never interpreted.
 */
export function printError(io: CliIo, error: MemrayError, prefix = "error:"): void {
  const out = errorStream(io);
  // Decided here, not by picocolors' own guess (it colours whenever CI is set): main() is also called in-process.
  const c = pc.createColors(colorEnabled(io.env, out as { isTTY?: boolean }));
  out.write(`${c.red(prefix)} ${visibleText(error.message)}\n`);
  if (!io.verbose) return;
  out.write(`${c.dim(`  code ${error.code} · exit ${error.exitCode}`)}\n`);
  for (const cause of describeCauseChain(error)) out.write(`${c.dim(`  caused by ${visibleText(cause)}`)}\n`);
}

/** With --json, a failure before any result is one object on stdout too: `{ "error": { code, message, exit_code, hint } }`. */
export function printErrorJson(io: CliIo, error: MemrayError): void {
  io.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.reason, exit_code: error.exitCode, hint: error.hint } })}\n`);
}
