import { MixedRunGroupError, type RunRole } from "./errors.js";
import type { RunData } from "./load-run.js";

export function runMode(run: RunData): string | null {
  return run.summary.mode ?? run.summary.profiling.mode ?? null;
}

/**
 * Check that the runs of one side can be pooled into medians: the same mode and script in every run, and
 * no run given twice (a copy would narrow the spread it is judged by). Throws MixedRunGroupError.
 */
export function checkRunGroup(runs: readonly RunData[], role: RunRole): void {
  if (runs.length === 0) throw new MixedRunGroupError(role, "expected at least one run, received none", []);
  const paths = runs.map((r) => r.input);
  const seen = new Map<string, string>();
  for (const run of runs) {
    const first = seen.get(run.summaryFile);
    if (first !== undefined) {
      throw new MixedRunGroupError(role, `${run.input} and ${first} are the same run (${run.summaryFile}); each run counts once in the median`, paths);
    }
    seen.set(run.summaryFile, run.input);
  }
  for (const [what, of] of [
    ["mode", runMode],
    ["script", (r: RunData) => r.summary.script],
  ] as const) {
    const values = runs.map((r) => of(r) ?? "none");
    if (new Set(values).size > 1) {
      const listed = runs.map((r, i) => `${r.input}: ${values[i]}`).join(", ");
      throw new MixedRunGroupError(role, `the runs differ in ${what} (${listed}); the runs of one side must repeat one workload`, paths);
    }
  }
}
