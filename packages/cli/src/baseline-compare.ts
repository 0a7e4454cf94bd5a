import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { artifactFile, checkRunFile, RunFileError, SUMMARY_FILE, visibleStrings, type CompareReport } from "@alpiq/memray-core";
import { compareRuns, loadRun, renderJson, renderMarkdown, renderText, runFileCompareFs, STATS_FILE, TABLE_FILE, type RunData } from "@alpiq/memray-compare";

/** The files `--baseline` adds to the run directory (host artifacts compare_md, compare_json). */
export const BASELINE_ARTIFACTS = ["compare_md", "compare_json"] as const;

/**
 * The files compare will read of the run `input` (a run directory or its summary.json), checked with
 * core's checkRunFile before compare reads them: a FIFO, a device or a file over its bound is refused
 * with a message that says so (compare's own wrapper would call it unreadable and suggest permissions).
 * Missing files are left to compare, which says which one is missing.
 */
async function checkRunFiles(input: string, cwd: string, signal: AbortSignal | undefined): Promise<void> {
  const absolute = path.resolve(cwd, input);
  const isDir = await stat(absolute).then(
    (info) => info.isDirectory(),
    () => false,
  );
  const dir = isDir ? absolute : path.dirname(absolute);
  for (const file of [isDir ? path.join(dir, SUMMARY_FILE) : absolute, path.join(dir, TABLE_FILE), path.join(dir, STATS_FILE)]) {
    try {
      await checkRunFile(file, { signal });
    } catch (error) {
      if (error instanceof RunFileError && error.problem === "missing") continue;
      if (error instanceof RunFileError)
        throw new RunFileError(error.file, error.problem, `--baseline ${input}: ${error.reason}`, { cause: error, hint: error.hint });
      throw error;
    }
  }
}

/**
 * `--baseline RUN_DIR` / `-e baseline=`: read the baseline BEFORE profiling, so a missing or invalid run
 * stops the command with exit 2 before anything is measured (compare's own errors say what is wrong).
 * Its files are read through core's readRunFile: a FIFO never blocks, a huge table.json is refused.
 */
export async function loadBaseline(input: string, cwd: string, signal?: AbortSignal): Promise<RunData> {
  await checkRunFiles(input, cwd, signal);
  return loadRun(input, "baseline", { cwd, fs: runFileCompareFs({ signal }) });
}

export interface BaselineComparison {
  report: CompareReport;
  /** Absolute paths of compare.md and compare.json. */
  files: string[];
}

/** Compare the finished run with the baseline through the compare library; write compare.md and compare.json into the run. */
export async function compareWithBaseline(baseline: RunData, runDir: string, cwd: string, signal?: AbortSignal): Promise<BaselineComparison> {
  const relative = path.relative(cwd, runDir);
  const inside = relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
  const candidate = await loadRun(inside ? relative : runDir, "candidate", { cwd, fs: runFileCompareFs({ signal }) });
  const report = compareRuns(baseline, candidate);
  const markdown = path.join(runDir, artifactFile("compare_md"));
  const json = path.join(runDir, artifactFile("compare_json"));
  await writeFile(markdown, renderMarkdown(report));
  await writeFile(json, renderJson(report));
  return { report, files: [markdown, json] };
}

/**
 * What the terminal shows after the run: the compare report and its verdict, as `memray-cli compare`
 * prints it, with the text that came from the runs (sites, functions, errors in notes, paths) written
 * out through visibleText; compare.md and compare.json keep it exactly.
 */
export function describeComparison(comparison: BaselineComparison, color: boolean): string {
  return renderText(visibleStrings(comparison.report), { color });
}
