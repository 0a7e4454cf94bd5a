export { REPORT_CATALOGUE, type ReportSpec } from "./report-catalogue.js";
export { planReports, STANDARD_REPORTS } from "./report-plan.js";
export { renderRunIndex, writeRunIndex, RUN_INDEX_FILE } from "./run-index.js";
export { escapeHtml } from "./html.js";
