import type { CompareReport } from "@alpiq/memray-core";

/** The JSON report (validates against core's compareReportSchema). */
export function renderJson(report: CompareReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
