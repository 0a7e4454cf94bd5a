// The public API of @alpiq/memray-reports.
export { renderRunIndex, writeRunIndex } from "./run-index.js";
export { escapeHtml } from "./html.js";
