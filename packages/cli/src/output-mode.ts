import { Writable } from "node:stream";
import type { CliIo } from "./cli-io.js";

/**
 * Whether text for `stream` may carry colours: never with NO_COLOR (any non-empty value, no-color.org)
 * or TERM=dumb; always with FORCE_COLOR (not "0"); otherwise only on a terminal.
 */
export function colorEnabled(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

/** A stream that drops what it is given (--quiet's stderr). */
export function discardStream(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/**
 * --quiet: progress, notes, warnings and tables vanish; errors still reach the real stderr
 * (`io.errors`), and stdout keeps what the command is for (the run directory, or --json).
 */
export function quietIo(io: CliIo): CliIo {
  return { ...io, stderr: discardStream(), errors: io.errors ?? io.stderr, quiet: true };
}

/** Where errors are written: stderr, even under --quiet. */
export function errorStream(io: CliIo): NodeJS.WritableStream {
  return io.errors ?? io.stderr;
}

/** The arguments the CLI reads itself (those after `--` belong to the script). */
export function ownArgs(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf("--");
  return end === -1 ? argv : argv.slice(0, end);
}

/** Whether `flag` is among the CLI's own arguments. */
export function hasFlag(argv: readonly string[], ...flags: string[]): boolean {
  return ownArgs(argv).some((arg) => flags.includes(arg));
}
