import { existsSync } from "node:fs";
import path from "node:path";
import { bringPendingRunHome, MemrayError, recoverRun, runDirAt, type RecoverOutput, type RunDir, type TargetRegistry } from "@alpiq/memray-core";
import { writeRunIndex } from "@alpiq/memray-reports";
import type { CliIo } from "./cli-io.js";
import { printRunOutcome } from "./print-run-outcome.js";
import { ProgressReporter } from "./progress-reporter.js";

export interface RecoverOptions {
  /** Parent of run directories: a bare run name is looked for there. */
  out: string;
  json: boolean;
  python?: string | undefined;
  /** To connect again to a container or a pod that still holds the run's results. */
  targets: TargetRegistry;
}

/** The run directory named by `run`: a path (relative to the working directory), or a name under --out. */
export function recoverRunDir(run: string, out: string, cwd: string): RunDir {
  const dir = [path.resolve(cwd, run), path.resolve(cwd, out, run)].find((candidate) => existsSync(candidate));
  if (!dir) {
    throw new MemrayError("RUN_NOT_FOUND", `no run directory "${run}" (looked for ${run} and ${out}/${run})`, {
      hint: "pass the run directory, e.g. memray-cli recover runs/slow-20260315-143022",
    });
  }
  return runDirAt(dir, cwd);
}

/**
 * `memray-cli recover RUN_DIR`: a run whose memray-cli went away (killed, its terminal closed) made into a
 * full run on this host: the reports from session.bin, summary.json, index.html. Prints the run directory
 * (--json: {run_dir, summary}); exits with the recovered run's code.
 */
export async function recoverCommand(io: CliIo, run: string, options: RecoverOptions): Promise<number> {
  const runDir = recoverRunDir(run, options.out, io.cwd);
  const reporter = new ProgressReporter(io.stderr, Boolean(io.quiet), io.env);
  let result;
  try {
    // A run still in its container or pod comes home first (memray-cli was killed before it copied it out).
    await bringPendingRunHome(runDir, options.targets, { signal: io.signal, onStep: (message) => reporter.step(message) });
    result = await recoverRun(
      { runDir, python: options.python, hostArtifacts: ["index_html"], interrupts: io.interrupts },
      { onProgress: (event) => reporter.handle(event), afterSummary: async (summary, dir) => void (await writeRunIndex(dir.path, summary)) },
    );
  } catch (error) {
    reporter.finish(false);
    throw error;
  }
  reporter.finish(result.exitCode === 0);
  printRunOutcome(io, result, reporter.warningsShown);
  if (options.json) {
    const output: RecoverOutput = { run_dir: runDir.artifactPrefix, summary: result.summary };
    io.stdout.write(`${JSON.stringify(output)}\n`);
  } else {
    io.stdout.write(`${runDir.artifactPrefix}\n`);
  }
  return result.exitCode;
}
