import path from "node:path";
import pc from "picocolors";
import { toMemrayError, visibleText, type MemrayError, type ProfileRunOutput } from "@alpiq/memray-core";
import { describeSignals } from "@alpiq/memray-signals";
import { describeComparison, loadBaseline } from "./baseline-compare.js";
import type { CliIo } from "./cli-io.js";
import { errorStream } from "./output-mode.js";
import { executeProfile, liveMessage, type ProfileCommandDeps, type ProfileOutcome, type ProfileProgress } from "./profile-execution.js";
import type { CliProfileOptions } from "./profile-options.js";
import { printError } from "./print-error.js";
import { printRunOutcome } from "./print-run-outcome.js";
import { ProgressReporter } from "./progress-reporter.js";

export type { ProfileCommandDeps } from "./profile-execution.js";

/**
 * `memray-cli profile`: one mode on one target, a run directory, and the exit code. With --repeat N,
 * N runs one after another (run i named NAME-i): each run directory is a line of stdout as soon as it
 * is made, `--json` lists them all, and the exit code is the highest of the runs'. A run that ends with
 * exit 2 or more (bad input, an unusable target, Ctrl-C) ends the repeat; the runs made so far stay listed.
 */
export async function profileCommand(cli: CliProfileOptions, deps: ProfileCommandDeps, io: CliIo): Promise<number> {
  // A missing or invalid --baseline stops the command (exit 2) before anything is measured.
  const baseline = cli.baseline ? await loadBaseline(cli.baseline, io.cwd, io.signal) : undefined;
  const count = cli.repeat ?? 1;
  const runs: ProfileRunOutput[] = [];
  let exitCode = 0;
  let stopped: MemrayError | undefined;
  for (let index = 1; index <= count; index++) {
    if (index > 1 && (io.signal?.aborted || io.interrupts?.received.length)) break;
    if (cli.repeat !== undefined) io.stderr.write(`${pc.bold(`run ${index} of ${count}`)}\n`);
    const reporter = new ProgressReporter(io.stderr, cli.quiet, io.env);
    let outcome: ProfileOutcome;
    try {
      outcome = await executeProfile(cli, deps, {
        cwd: io.cwd,
        signal: io.signal,
        interrupts: io.interrupts,
        baseline,
        index: cli.repeat === undefined ? undefined : index,
        onProgress: (event) => renderProgress(event, reporter, io),
      });
    } catch (error) {
      reporter.finish(false);
      // Nothing made yet: the error is the command's (main prints it; --json: the error object).
      if (runs.length === 0) throw error;
      stopped = toMemrayError(error);
      printError(io, stopped);
      exitCode = Math.max(exitCode, stopped.exitCode);
      break;
    }
    reporter.finish(outcome.result.exitCode === 0);
    printOutcome(io, cli, outcome, reporter);
    const { summary, runDir } = outcome.result;
    runs.push({ run_dir: runDir.artifactPrefix, summary, ...(outcome.comparison ? { compare: outcome.comparison.report } : {}) });
    if (!cli.json) io.stdout.write(`${runDir.artifactPrefix}\n`);
    exitCode = Math.max(exitCode, outcome.exitCode);
    if (outcome.exitCode > 1 && index < count) {
      errorStream(io).write(`stopped after run ${index} of ${count} (exit ${outcome.exitCode}): the runs made so far are listed\n`);
      break;
    }
  }
  if (cli.json) {
    const last = runs.at(-1)!;
    const error = stopped ? { error: { code: stopped.code, message: stopped.reason, exit_code: stopped.exitCode, hint: stopped.hint } } : {};
    io.stdout.write(`${JSON.stringify({ ...last, ...(cli.repeat !== undefined ? { runs } : {}), ...error })}\n`);
  }
  return exitCode;
}

/** A run's progress on stderr: core's events through the reporter; a live run's "connect here" even under --quiet. */
function renderProgress(event: ProfileProgress, reporter: ProgressReporter, io: CliIo): void {
  if (event.type === "notice") return reporter.info(event.level === "warning" ? pc.yellow(event.message) : event.message);
  if (event.type !== "live") return reporter.handle(event);
  // The one line a live run cannot do without (where to connect): shown even under --quiet.
  const text = liveMessage(event.mode, { live: event.livePort, service: event.servicePort }, pc.bold);
  if (io.quiet) errorStream(io).write(`${text}\n`);
  else reporter.info(text);
}

/** The end of one run on stderr: what failed, the key numbers, the leak verdict, the signals, the comparison. */
function printOutcome(io: CliIo, cli: CliProfileOptions, outcome: ProfileOutcome, reporter: ProgressReporter): void {
  const { result, comparison } = outcome;
  const { summary } = result;
  printRunOutcome(io, result, reporter.warningsShown);
  const reason = summary.leak_indicators.reason;
  if (reason && summary.requests.length > 1) io.stderr.write(`leak verdict: ${visibleText(reason)}\n`);
  const signalsLine = describeSignals(summary.signals);
  if (signalsLine) io.stderr.write(`${visibleText(signalsLine)}\n`);
  if (comparison) {
    io.stderr.write(`\n${describeComparison(comparison, Boolean(io.stderr.isTTY) && !io.env["NO_COLOR"])}`);
    io.stderr.write(`compared with ${cli.baseline}: ${comparison.files.map((file) => path.basename(file)).join(", ")} in the run directory\n`);
  }
}
