import type { WriteStream } from "node:fs";
import { once } from "node:events";
import createDebug from "debug";
import { isErrorCode } from "./error-codes.js";
import { MemrayError } from "./errors.js";
import { createHarnessStderrParser, type HarnessEvent } from "./harness-events.js";
import type { InterruptSignal } from "./interrupts.js";
import { createLineSplitter } from "./line-splitter.js";
import type { Target } from "./target/target.js";

const debug = createDebug("memray:harness");

/** Sends a signal to a pid in the target with its own Python: no `kill` binary needed in slim images. */
const KILL = "import os, signal, sys\ntry:\n    os.kill(int(sys.argv[1]), getattr(signal, sys.argv[2]))\nexcept ProcessLookupError:\n    pass";

export type ProcessOutput = { type: "harness"; event: HarnessEvent } | { type: "output"; stream: "stdout" | "stderr"; line: string };

export interface HarnessProcessInput {
  target: Target;
  python: string;
  argv: string[];
  env: Record<string, string>;
  /** harness.log: the workload's own output, in order, appended to. */
  log: WriteStream;
  onOutput(event: ProcessOutput): void;
  /** Stops the process at once (the third Ctrl-C). */
  hardStop?: AbortSignal;
  /** Hold its stdin open for the whole run (the harness then watches it: `--host-stdin`). */
  holdStdin?: boolean;
}

export interface HarnessProcessResult {
  exitCode: number;
  exitSignal: string | undefined;
  /** The failure the harness announced with an `error` event (it may not have written a summary). */
  error: MemrayError | undefined;
  /** Whether it started its workload, and finished it. */
  workloadStarted: boolean;
  workloadDone: boolean;
  /**
   * The exit code the harness announced with its last event (`end`) when it finished its run, else
   * undefined: the process ended before it could (os._exit in the workload, a signal, the OOM killer).
   * The process's own exit code cannot tell: a workload may end it with any code, ours included.
   */
  finishedWith: number | undefined;
}

/**
 * One run of the harness in the target: its output streamed into harness.log in order, with
 * backpressure (a slow disk slows the harness's pipe, not memory), events parsed as they come, and
 * Ctrl-C/SIGTERM forwarded to its pid once it announced it.
 */
export class HarnessProcess {
  private pid: number | undefined;
  private readonly pending: InterruptSignal[] = [];
  private result: Promise<HarnessProcessResult> | undefined;

  constructor(private readonly input: HarnessProcessInput) {}

  start(): Promise<HarnessProcessResult> {
    this.result ??= this.run();
    return this.result;
  }

  /** Forward a signal to the harness (queued until it announced its pid). */
  async signal(signal: InterruptSignal | "SIGKILL"): Promise<void> {
    if (this.pid === undefined) {
      if (signal !== "SIGKILL") this.pending.push(signal);
      return;
    }
    debug("forwarding %s to harness pid %d", signal, this.pid);
    await this.input.target.exec([this.input.python, "-c", KILL, String(this.pid), signal]).catch((error) => debug("signal: %O", error));
  }

  private async run(): Promise<HarnessProcessResult> {
    const { input } = this;
    const write = (line: string): Promise<void> | void => {
      const log = input.log;
      if (log.destroyed) return; // harness.log failed (disk full): the output still reaches the terminal
      if (!log.write(`${line}\n`)) {
        return Promise.race([once(log, "drain"), once(log, "close")]).then(
          () => undefined,
          () => undefined,
        );
      }
    };
    let error: MemrayError | undefined;
    let workloadStarted = false;
    let workloadDone = false;
    let finishedWith: number | undefined;
    const waits: Promise<void>[] = [];
    const line = (stream: "stdout" | "stderr") => (text: string) => {
      const pending = write(text);
      if (pending) waits.push(pending);
      input.onOutput({ type: "output", stream, line: text });
    };
    const stderr = createHarnessStderrParser((event) => {
      if (event.event === "started" && typeof event.pid === "number") this.announced(event.pid);
      if (event.event === "step" && event.step === "capture") workloadStarted = true;
      if (event.event === "workload-done") workloadDone = true;
      if (event.event === "end" && typeof event.exit_code === "number") finishedWith = event.exit_code;
      if (event.event === "error" && typeof event.code === "string" && isErrorCode(event.code)) {
        error = new MemrayError(event.code, String(event.message ?? "the harness failed"));
      }
      input.onOutput({ type: "harness", event });
    }, line("stderr"));
    const stdout = createLineSplitter(line("stdout"));
    // Each chunk waits for the log writes it caused: that is the backpressure on the target's pipe.
    const drain = async (feed: (chunk: string) => void, chunk: string) => {
      feed(chunk);
      if (waits.length) await Promise.all(waits.splice(0));
    };
    const result = await input.target.exec(input.argv, {
      env: input.env,
      buffer: false,
      onStdout: (chunk) => drain((c) => stdout.push(c), chunk),
      onStderr: (chunk) => drain((c) => stderr.push(c), chunk),
      ...(input.hardStop ? { signal: input.hardStop } : {}),
      ...(input.holdStdin ? { holdStdin: true } : {}),
    });
    stdout.flush();
    stderr.flush();
    await Promise.all(waits);
    debug("harness exited %d %s", result.exitCode, result.exitSignal ?? "");
    return { exitCode: result.exitCode, exitSignal: result.exitSignal, error, workloadStarted, workloadDone, finishedWith };
  }

  private announced(pid: number): void {
    this.pid = pid;
    for (const signal of this.pending.splice(0)) void this.signal(signal);
  }
}

/** How a process ended, in words the harness's --recover and people read ("signal 9 (SIGKILL)"). */
export function describeEnd(exitCode: number, exitSignal: string | undefined): string {
  if (exitSignal) return `signal ${exitCode - 128} (${exitSignal})`;
  if (exitCode > 128 && exitCode < 160) return `signal ${exitCode - 128}`;
  return `exit code ${exitCode}`;
}
