import { ExitCode, toMemrayError, visibleStrings, visibleText } from "@alpiq/memray-core";
import { compareRuns } from "./compare-runs.js";
import { writeGithubFiles, type AppendFile } from "./github-outputs.js";
import { loadRun, type CompareFs, type RunData } from "./load-run.js";
import { COMPARE_USAGE, parseCompareArgs } from "./parse-compare-args.js";
import { renderJson } from "./render-json.js";
import { renderMarkdown } from "./render-markdown.js";
import { renderText } from "./render-text.js";
import { VERSION } from "./version.js";

export interface CompareCommandIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Whether stdout is a terminal (colours by default). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** Relative run paths are resolved against it. */
  cwd: string;
  /** Injected file system (default: node:fs). */
  fs?: CompareFs;
  /** Appends to GITHUB_STEP_SUMMARY / GITHUB_OUTPUT (default: node:fs appendFile). */
  appendFile?: AppendFile;
}

/** Colour when forced, never with NO_COLOR (non-empty), else FORCE_COLOR, else on a terminal. */
export function shouldColor(flag: boolean | undefined, io: Pick<CompareCommandIo, "isTTY" | "env">): boolean {
  if (flag !== undefined) return flag;
  if (io.env["NO_COLOR"]) return false;
  const force = io.env["FORCE_COLOR"];
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return io.isTTY;
}

/**
 * `memray-compare <runA> <runB> [options]`, `memray-compare --baseline A1 A2 --candidate B1 B2 [options]`
 * and `memray-cli compare ...`: parse, load, compare, render.
 * In GitHub Actions (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT in io.env) it also appends the markdown report and
 * the step outputs. Returns the exit code: 0 no regression, 1 regression, 2 bad usage or input (message on stderr).
 */
export async function runCompareCommand(argv: readonly string[], io: CompareCommandIo): Promise<number> {
  try {
    const args = parseCompareArgs(argv);
    if (args.kind === "help") {
      io.stdout.write(`${COMPARE_USAGE}\n`);
      return ExitCode.Ok;
    }
    if (args.kind === "version") {
      io.stdout.write(`${VERSION}\n`);
      return ExitCode.Ok;
    }
    const deps = { cwd: io.cwd, ...(io.fs ? { fs: io.fs } : {}) };
    // One at a time, in the order given: the first bad run is the one the message names.
    const baselines: RunData[] = [];
    for (const run of args.baselines) baselines.push(await loadRun(run, "baseline", deps));
    const candidates: RunData[] = [];
    for (const run of args.candidates) candidates.push(await loadRun(run, "candidate", deps));
    const report = compareRuns(baselines, candidates, args.options);
    const output =
      args.format === "json"
        ? renderJson(report)
        : args.format === "markdown"
          ? renderMarkdown(visibleStrings(report))
          : renderText(visibleStrings(report), { color: shouldColor(args.color, io) });
    io.stdout.write(output);
    // In GitHub Actions (variables read from io.env): the markdown report and the step outputs.
    await writeGithubFiles(report, io.env, io.appendFile);
    return report.exit_code;
  } catch (error) {
    const failure = toMemrayError(error);
    io.stderr.write(`memray-compare: ${visibleText(failure.message)}\n`);
    return failure.exitCode;
  }
}
