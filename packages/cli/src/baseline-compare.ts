import { writeFile } from "node:fs/promises";
import path from "node:path";
import { artifactFile, type CompareReport } from "@alpiq/memray-core";
import { compareRuns, loadRun, renderJson, renderMarkdown, renderText, type RunData } from "@alpiq/memray-compare";

/** The files `--baseline` adds to the run directory (host artifacts compare_md, compare_json). */
export const BASELINE_ARTIFACTS = ["compare_md", "compare_json"] as const;

/**
 * `--baseline RUN_DIR` / `-e baseline=`: read the baseline BEFORE profiling, so a missing or invalid run
 * stops the command with exit 2 before anything is measured (compare's own errors say what is wrong).
 */
export async function loadBaseline(input: string, cwd: string): Promise<RunData> {
  return loadRun(input, "baseline", { cwd });
}

export interface BaselineComparison {
  report: CompareReport;
  /** Absolute paths of compare.md and compare.json. */
  files: string[];
}

/** Compare the finished run with the baseline through the compare library; write compare.md and compare.json into the run. */
export async function compareWithBaseline(baseline: RunData, runDir: string, cwd: string): Promise<BaselineComparison> {
  const relative = path.relative(cwd, runDir);
  const inside = relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
  const candidate = await loadRun(inside ? relative : runDir, "candidate", { cwd });
  const report = compareRuns(baseline, candidate);
  const markdown = path.join(runDir, artifactFile("compare_md"));
  const json = path.join(runDir, artifactFile("compare_json"));
  await writeFile(markdown, renderMarkdown(report));
  await writeFile(json, renderJson(report));
  return { report, files: [markdown, json] };
}

/** What the terminal shows after the run: the compare report and its verdict, as `memray-cli compare` prints it. */
export function describeComparison(comparison: BaselineComparison, color: boolean): string {
  return renderText(comparison.report, { color });
}
