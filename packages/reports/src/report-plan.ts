import { LIVE_MODES, type Mode, type ReportName } from "@alpiq/memray-core";

/** The six reports the seed makes for every capture. */
export const STANDARD_REPORTS: readonly ReportName[] = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"];

/**
 * Which reports a mode makes. Live modes stream to a TUI and leave no capture file, so they make
 * none; stats adds the histogram report; every other mode makes the standard six.
 */
export function planReports(mode: Mode): ReportName[] {
  if (LIVE_MODES.includes(mode)) return [];
  if (mode === "stats") return [...STANDARD_REPORTS, "stats"];
  return [...STANDARD_REPORTS];
}
