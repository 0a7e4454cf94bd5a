import type { InterruptChannel } from "@alpiq/memray-core";

/** What a command may touch of the process: injected so tests run commands in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  /** Progress, notes, warnings, tables meant for people (a sink under --quiet). */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Errors: the real stderr even under --quiet (default: `stderr`). */
  errors?: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on the first Ctrl-C/SIGTERM: long commands stop their target's work and still write what they have. */
  signal?: AbortSignal;
  /** Every Ctrl-C/SIGTERM, in order: a profiling run stops gracefully, then abandons reports, then stops at once. */
  interrupts?: InterruptChannel;
  /** --verbose: errors show their code and chain of causes. */
  verbose?: boolean;
  /** --quiet: nothing but the command's result (the run directory) and errors. */
  quiet?: boolean;
  /** A person at a terminal (stdin and stderr are TTYs): bare `memray-cli` opens the menu. */
  interactive?: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  };
}
