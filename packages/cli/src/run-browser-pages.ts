import { formatBytes, formatKb, MODE_RULES, REPORTS, type RunRow, type Summary } from "@alpiq/memray-core";
import { escapeHtml as e } from "@alpiq/memray-reports";
import { requestSeries, renderRequestChart } from "./request-chart.js";
import { formatRunDate, RUN_COLUMNS, runRowCells } from "./run-rows.js";

// The pages of `memray-cli view`: self-contained HTML (inline CSS, inline SVG, a few lines of inline
// script for sorting), nothing fetched from elsewhere.

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:78rem;padding:0 1rem;color:#222;background:#fff}
a{color:#0b57d0}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:#f3f5f8}th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" ↕";color:#999}
.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00020;font-weight:600}.ok{color:#1b5e20}code{font-size:13px}
nav{margin-bottom:1rem}nav a{margin-right:1rem}.chart text{font:11px system-ui,sans-serif;fill:#444}.chart .grid{stroke:#eee}.chart .axis{stroke:#888}
button{font:inherit;padding:.3rem .9rem}.muted{color:#777}`;

function page(title: string, body: string, script = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)} — memray-cli</title><style>${STYLE}</style></head><body>
<nav><a href="/">runs</a></nav>
${body}
${script ? `<script>${script}</script>` : ""}
</body></html>
`;
}

/** The run's name in URLs: its directory name under the runs directory. */
export const runHref = (name: string) => `/run/${encodeURIComponent(name)}`;
export const fileHref = (name: string, file: string) => `/runs/${encodeURIComponent(name)}/${file.split("/").map(encodeURIComponent).join("/")}`;

const SORT_SCRIPT = `
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th.sortable").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var ascending = th.getAttribute("data-order") !== "asc";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("data-order"); });
      th.setAttribute("data-order", ascending ? "asc" : "desc");
      var index = th.cellIndex, numeric = th.getAttribute("data-type") === "number";
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute("data-sort"), y = b.cells[index].getAttribute("data-sort");
        var order = numeric ? parseFloat(x) - parseFloat(y) : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
var form = document.getElementById("compare-form");
if (form) form.addEventListener("submit", function (event) {
  event.preventDefault();
  var chosen = Array.prototype.slice.call(form.querySelectorAll("input[name=run]:checked"));
  if (chosen.length !== 2) { document.getElementById("compare-hint").textContent = "select exactly two runs: the older is the baseline"; return; }
  chosen.sort(function (a, b) { return a.getAttribute("data-ts").localeCompare(b.getAttribute("data-ts")); });
  location.href = "/compare?a=" + encodeURIComponent(chosen[0].value) + "&b=" + encodeURIComponent(chosen[1].value);
});`;

/** The sort key of each column (numbers sort as numbers; missing values first). */
function sortKeys(row: RunRow): string[] {
  return [
    row.run_dir,
    row.mode ?? "",
    row.target ?? "",
    String(row.peak_memory_bytes ?? -1),
    String(row.rss_delta_kb ?? -1e15),
    row.leak_verdict,
    row.timestamp,
  ];
}

/** `/`: the runs, sortable by every column, each linking to its page, its index.html and its primary report. */
export function renderRunListPage(
  rows: readonly { row: RunRow; name: string; files: readonly string[] }[],
  runsDir: string,
  unreadable: readonly { run_dir: string; problem: string }[],
): string {
  const header = `<tr><th>compare</th>${RUN_COLUMNS.map((title, column) => `<th class="sortable"${column === 3 || column === 4 ? ' data-type="number"' : ""}>${e(title)}</th>`).join("")}<th>reports</th></tr>`;
  const body = rows
    .map(({ row, name, files }) => {
      const cells = runRowCells(row);
      const keys = sortKeys(row);
      const verdictClass = row.status === "failed" || row.leak_verdict === "likely leak" ? "bad" : row.leak_verdict === "no leak" ? "ok" : "";
      const reports = REPORTS.filter((spec) => files.includes(spec.file)).map((spec) => `<a href="${fileHref(name, spec.file)}">${e(spec.file)}</a>`);
      const tds = cells.map((cell, column) => {
        const numeric = column === 3 || column === 4 ? " n" : "";
        const content = column === 0 ? `<a class="run-link" href="${runHref(name)}">${e(cell)}</a>` : e(cell);
        return `<td class="${column === 5 ? verdictClass : ""}${numeric}" data-sort="${e(keys[column])}">${content}</td>`;
      });
      return `<tr data-run="${e(name)}"><td><input type="checkbox" name="run" value="${e(name)}" data-ts="${e(row.timestamp)}" aria-label="select ${e(name)}"></td>${tds.join("")}<td>${files.includes("index.html") ? `<a href="${fileHref(name, "index.html")}">index.html</a> ` : ""}${reports.join(" ")}</td></tr>`;
    })
    .join("\n");
  const broken = unreadable.length
    ? `<h2>Unreadable runs</h2><ul>${unreadable.map((run) => `<li><code>${e(run.run_dir)}</code>: ${e(run.problem)}</li>`).join("")}</ul>`
    : "";
  const content = rows.length
    ? `<form id="compare-form"><table id="runs" class="sortable"><thead>${header}</thead><tbody>
${body}
</tbody></table><button type="submit">Compare the two selected runs</button> <span id="compare-hint" class="muted"></span></form>`
    : `<p>No runs under <code>${e(runsDir)}</code> yet: <code>memray-cli profile --mode script --script test-cases/example-sequential-requests.py</code></p>`;
  return page("runs", `<h1>Runs <span class="muted">in ${e(runsDir)}</span></h1>\n${content}\n${broken}`, SORT_SCRIPT);
}

/** `/run/<name>`: key numbers, the per-request chart, links to index.html and every file. */
export function renderRunPage(name: string, summary: Summary, files: readonly string[]): string {
  const memory = summary.memory;
  const leak = summary.leak_indicators;
  const requestNums = summary.requests.map((r, index) => (typeof r.request_num === "number" ? r.request_num : index + 1));
  const chart = summary.requests.length ? renderRequestChart("rss-chart", requestNums, requestSeries(summary.requests)) : "";
  const primary = summary.mode ? MODE_RULES[summary.mode]?.primaryReport : null;
  const primaryFile = primary ? REPORTS.find((spec) => spec.name === primary)?.file : undefined;
  const reason = typeof leak.reason === "string" ? ` — ${e(leak.reason)}` : "";
  const requestRows = summary.requests
    .map(
      (r) =>
        `<tr><td class="n">${e(r.request_num)}</td><td class="n">${e(r.status ?? "n/a")}</td><td class="n">${e(r.duration_s ?? "n/a")}</td><td class="n">${e(formatKb(r.rss_before))}</td><td class="n">${e(formatKb(r.rss_after))}</td><td class="n">${e(formatKb(r.rss_delta, true))}</td></tr>`,
    )
    .join("\n");
  const body = `<h1>${e(summary.run_id)}</h1>
<p>mode <b>${e(summary.mode ?? "n/a")}</b> · target <b>${e(summary.target ? (summary.target.kind === "local" ? "local" : summary.target.name) : "n/a")}</b> · script <code>${e(summary.script ?? "—")}</code> · ${e(formatRunDate(summary.timestamp))} ·
<span class="${summary.error ? "bad" : "ok"}">${e(summary.error ? `failed: ${summary.error}` : `exit code ${summary.exit_code ?? "n/a"}`)}</span></p>
<p><a href="${fileHref(name, "index.html")}">index.html</a>${primaryFile && files.includes(primaryFile) ? ` · primary report <a href="${fileHref(name, primaryFile)}">${e(primaryFile)}</a>` : ""}</p>
<table><tr><th>RSS before</th><th>RSS after</th><th>RSS delta</th><th>memray peak</th><th>tracemalloc peak</th><th>leak verdict</th></tr>
<tr><td class="n">${e(formatKb(memory.rss_before))}</td><td class="n">${e(formatKb(memory.rss_after))}</td><td class="n">${e(formatKb(memory.rss_delta, true))}</td><td class="n">${e(formatBytes(summary.memray_stats?.peak_memory ?? null))}</td><td class="n">${e(formatBytes(memory.tracemalloc_peak))}</td>
<td class="${leak.likely_leak ? "bad" : "ok"}">${leak.likely_leak ? "likely leak" : "no leak detected"} (monotonic growth: ${e(leak.monotonic_growth)})${reason}</td></tr></table>
${chart ? `<h2>Memory per request</h2>\n${chart}` : ""}
${requestRows ? `<h2>Requests</h2><table><tr><th>#</th><th>status</th><th>duration s</th><th>RSS before</th><th>RSS after</th><th>RSS delta</th></tr>\n${requestRows}</table>` : ""}
<h2>Files</h2>
<ul>${files.map((file) => `<li><a href="${fileHref(name, file)}">${e(file)}</a></li>`).join("")}</ul>`;
  return page(summary.run_id, body);
}

/** `/compare?a=&b=`: the compare library's markdown, rendered. */
export function renderComparePage(baseline: string, candidate: string, markdownHtml: string, regression: boolean): string {
  return page(
    `compare ${baseline} → ${candidate}`,
    `<h1>Compare</h1><p>baseline <a href="${runHref(baseline)}">${e(baseline)}</a> → candidate <a href="${runHref(candidate)}">${e(candidate)}</a>: <span class="${regression ? "bad" : "ok"}">${regression ? "regression" : "no regression"}</span></p>
<div id="comparison">${markdownHtml}</div>`,
  );
}

export function renderErrorPage(status: number, message: string): string {
  return page(String(status), `<h1>${e(status)}</h1><p>${e(message)}</p>`);
}
