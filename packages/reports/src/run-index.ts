import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { artifactByFile, formatBytes, formatKb, REPORTS, RUN_INDEX_FILE, SUMMARY_FILE, type Summary } from "@alpiq/memray-core";
import { escapeHtml as e } from "./html.js";

/** Render the run's index.html: key numbers, the leak verdict, and a link to every file present. */
export function renderRunIndex(summary: Summary, files: readonly string[]): string {
  const present = new Set(files);
  const memory = summary.memory;
  const leak = summary.leak_indicators;
  const reportRows = REPORTS.flatMap((spec) =>
    [spec.file, ...spec.extraFiles.map((extra) => extra.file)]
      .filter((file) => present.has(file))
      .map((file) => `<tr><td><a href="${e(file)}">${e(file)}</a></td><td>${e(spec.title)}</td><td>${e(spec.purpose)}</td></tr>`),
  );
  const reportFiles = new Set<string>(REPORTS.flatMap((spec) => [spec.file, ...spec.extraFiles.map((x) => x.file)]));
  const otherRows = files
    .filter((file) => !reportFiles.has(file) && file !== RUN_INDEX_FILE)
    .sort()
    .map((file) => {
      const purpose = file === SUMMARY_FILE ? "Structured summary of the run" : (artifactByFile(file)?.purpose ?? "");
      return `<tr><td><a href="${e(file)}">${e(file)}</a></td><td colspan="2">${e(purpose)}</td></tr>`;
    });
  const allocators = summary.top_allocators
    .slice(0, 10)
    .map((row) => `<tr><td><code>${e(row.file)}</code></td><td>${e(row.function ?? "")}</td><td class="n">${e(formatKb(row.size_kb))}</td><td class="n">${e(row.count)}</td></tr>`);
  const requests = summary.requests.map(
    (r) =>
      `<tr><td class="n">${e(r.request_num)}</td><td class="n">${e(r.status ?? "n/a")}</td><td class="n">${e(r.duration_s ?? "n/a")}</td><td class="n">${e(formatKb(r.rss_before))}</td><td class="n">${e(formatKb(r.rss_after))}</td><td class="n">${e(formatKb(r.rss_delta))}</td></tr>`,
  );
  const verdict = leak.likely_leak ? "likely leak" : "no leak detected";
  const status = summary.error ? `failed: ${summary.error}` : `exit code ${summary.exit_code ?? "n/a"}`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(summary.run_id)} — memray-cli</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .75rem;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00020}.ok{color:#1b5e20}code{font-size:13px}
</style></head><body>
<h1>${e(summary.run_id)}</h1>
<p>mode <b>${e(summary.mode ?? "n/a")}</b> · script <code>${e(summary.script ?? "—")}</code> · ${e(summary.timestamp)} ·
<span class="${summary.error ? "bad" : "ok"}">${e(status)}</span> · ${e(summary.duration_seconds ?? "n/a")} s</p>
<h2>Memory</h2>
<table>
<tr><th>RSS before</th><th>RSS after</th><th>RSS delta</th><th>tracemalloc current</th><th>tracemalloc peak</th><th>leak verdict</th></tr>
<tr><td class="n">${e(formatKb(memory.rss_before))}</td><td class="n">${e(formatKb(memory.rss_after))}</td><td class="n">${e(formatKb(memory.rss_delta))}</td>
<td class="n">${e(formatBytes(memory.tracemalloc_current))}</td><td class="n">${e(formatBytes(memory.tracemalloc_peak))}</td>
<td class="${leak.likely_leak ? "bad" : "ok"}">${e(verdict)} (monotonic growth: ${e(leak.monotonic_growth)}, +${e(leak.rss_growth_mb ?? "n/a")} MB)</td></tr>
</table>
<h2>Reports</h2>
<table><tr><th>file</th><th>report</th><th>what it is for</th></tr>
${reportRows.join("\n") || '<tr><td colspan="3">no reports (live modes stream to the TUI)</td></tr>'}
</table>
${allocators.length ? `<h2>Top allocators</h2>\n<table><tr><th>site</th><th>function</th><th>size</th><th>count</th></tr>\n${allocators.join("\n")}\n</table>` : ""}
${requests.length ? `<h2>Requests</h2>\n<table><tr><th>#</th><th>status</th><th>duration s</th><th>RSS before</th><th>RSS after</th><th>RSS delta</th></tr>\n${requests.join("\n")}\n</table>` : ""}
<h2>Other files</h2>
<table>${otherRows.join("\n")}</table>
</body></html>
`;
}

/**
 * Write index.html into the run directory, linking the files present there now plus summary.json,
 * which the caller writes next.
 */
export async function writeRunIndex(runDir: string, summary: Summary): Promise<string> {
  const files = (await readdir(runDir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
  const file = path.join(runDir, RUN_INDEX_FILE);
  await writeFile(file, renderRunIndex(summary, [...new Set([...files, SUMMARY_FILE, RUN_INDEX_FILE])]));
  return file;
}
