import pc from "picocolors";
import { describeCauseChain, type MemrayError } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";

/** An error as the CLI shows it: the message and hint; with --verbose its code, exit code and causes. */
export function printError(io: CliIo, error: MemrayError, prefix = "error:"): void {
  io.stderr.write(`${pc.red(prefix)} ${error.message}\n`);
  if (!io.verbose) return;
  io.stderr.write(`${pc.dim(`  code ${error.code} · exit ${error.exitCode}`)}\n`);
  for (const cause of describeCauseChain(error)) io.stderr.write(`${pc.dim(`  caused by ${cause}`)}\n`);
}
