import type { WriteStream } from "node:fs";
import { once } from "node:events";
import createDebug from "debug";
import { isErrorCode } from "./error-codes.js";
import { MemrayError } from "./errors.js";
import { createHarnessStderrParser, type HarnessEvent } from "./harness-events.js";
import { AGENT_ENV } from "./install/install-agent.js";
import type { InterruptSignal } from "./interrupts.js";
import { createLineSplitter } from "./line-splitter.js";
import type { Target } from "./target/target.js";

const debug = createDebug("memray:harness");

/** Sends a signal to a pid in the target with its own Python: no `kill` binary needed in slim images. */
const KILL = "import os, signal, sys\ntry:\n    os.kill(int(sys.argv[1]), getattr(signal, sys.argv[2]))\nexcept ProcessLookupError:\n    pass";

export type ProcessOutput = { type: "harness"; event: HarnessEvent } | { type: "output"; stream: "stdout" | "stderr"; line: string };

/** What one start of the harness is given: its command line and environment are made from it by `harnessCommand`. */
export interface HarnessLaunch {
  /** The harness's config file, in the target. */
  configPath: string;
  /** Where memray_harness is imported from, in the target (PYTHONPATH). */
  pythonPath: string;
  /** Arguments after the config (`--resume`, `--recover ENDED`). */
  args?: string[];
  /** More environment (MEMRAY_RUN_REQUESTS_FILE). */
  env?: Record<string, string>;
}

/**
 * The harness's command line and environment, the same for every start of it: unbuffered output, and
 * the attach agent never booted by the harness itself (also in a service whose environment starts it).
 * Where the target can hold its stdin open, `--host-stdin` tells the harness to watch it.
 */
function harnessCommand(python: string, launch: HarnessLaunch, holdStdin: boolean): { argv: string[]; env: Record<string, string> } {
  return {
    argv: [python, "-m", "memray_harness", "--config", launch.configPath, ...(launch.args ?? []), ...(holdStdin ? ["--host-stdin"] : [])],
    env: { PYTHONPATH: launch.pythonPath, PYTHONUNBUFFERED: "1", ...launch.env, [AGENT_ENV]: "0" },
  };
}

export interface HarnessProcessInput {
  target: Target;
  python: string;
  launch: HarnessLaunch;
  /** harness.log: the workload's own output, in order, appended to. */
  log: WriteStream;
  onOutput(event: ProcessOutput): void;
  /** Stops the process at once (the third Ctrl-C). */
  hardStop?: AbortSignal;
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
    // Where the target can, the harness's stdin is a pipe that closes with this process: if memray-cli is
    // killed, the harness notices (HOST_LOST) and finishes the run on its own.
    const holdStdin = Boolean(input.target.holdsStdin);
    const { argv, env } = harnessCommand(input.python, input.launch, holdStdin);
    const result = await input.target.exec(argv, {
      env,
      buffer: false,
      onStdout: (chunk) => drain((c) => stdout.push(c), chunk),
      onStderr: (chunk) => drain((c) => stderr.push(c), chunk),
      ...(input.hardStop ? { signal: input.hardStop } : {}),
      ...(holdStdin ? { holdStdin: true } : {}),
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

/**
 * Ctrl-C/SIGTERM around one harness: before it runs, the first aborts `beforeHarness` (every wait of the
 * checks ends with it); once it runs, each is forwarded to it, the third as SIGKILL with `hardStop`.
 */
export class HarnessInterrupts {
  readonly received: InterruptSignal[] = [];
  readonly beforeHarness = new AbortController();
  readonly hardStop = new AbortController();
  /** The harness signals are forwarded to, once it is made. */
  harness: HarnessProcess | undefined;

  readonly receive = (signal: InterruptSignal): void => {
    this.received.push(signal);
    if (!this.harness) this.beforeHarness.abort();
    if (this.received.length >= 3) this.hardStop.abort();
    void this.harness?.signal(this.received.length >= 3 ? "SIGKILL" : signal);
  };
}

/** How a process ended, in words the harness's --recover and people read ("signal 9 (SIGKILL)"). */
export function describeEnd(exitCode: number, exitSignal: string | undefined): string {
  if (exitSignal) return `signal ${exitCode - 128} (${exitSignal})`;
  if (exitCode > 128 && exitCode < 160) return `signal ${exitCode - 128}`;
  return `exit code ${exitCode}`;
}
