import { readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { artifactByFile, artifactFile, formatBytes, formatKb, readRunFile, REPORTS, RUN_INDEX_FILE, SUMMARY_FILE, type Summary } from "@alpiq/memray-core";
import { escapeHtml as e } from "./html.js";

/** One call of the WireMock journal, as index.html shows it. */
export interface WireMockCallRow {
  method: string;
  url: string;
  status: number | null;
  matched: boolean;
  /** ISO 8601, when WireMock logged it. */
  at: string | null;
}

const WIREMOCK_REQUESTS_FILE = artifactFile("wiremock_requests");
/** Journals larger than this are linked, not tabulated. */
const JOURNAL_TABLE_LIMIT_BYTES = 16 * 1024 * 1024;
const JOURNAL_TABLE_ROWS = 200;

/** The calls of wiremock-requests.json in the order they were made (WireMock lists newest first). */
export function wireMockCalls(journal: unknown): WireMockCallRow[] {
  const requests = (journal as { requests?: unknown })?.requests;
  if (!Array.isArray(requests)) return [];
  return requests
    .map((entry: { request?: Record<string, unknown>; response?: { status?: unknown }; responseDefinition?: { status?: unknown }; wasMatched?: unknown }) => {
      const request = entry?.request ?? {};
      const status = entry?.response?.status ?? entry?.responseDefinition?.status;
      return {
        method: String(request.method ?? "?"),
        url: String(request.url ?? "?"),
        status: typeof status === "number" ? status : null,
        matched: entry?.wasMatched !== false,
        at: typeof request.loggedDateString === "string" ? request.loggedDateString : null,
        loggedDate: typeof request.loggedDate === "number" ? request.loggedDate : 0,
      };
    })
    .sort((a, b) => a.loggedDate - b.loggedDate)
    .map(({ loggedDate: _, ...row }) => row);
}

const mib = (bytes: number | null | undefined) => (typeof bytes === "number" ? formatBytes(bytes) : "n/a");

function signalsSection(summary: Summary, present: ReadonlySet<string>, calls: readonly WireMockCallRow[] | undefined): string {
  const signals = summary.signals;
  if (!signals) return "";
  const link = (file: string) => (present.has(file) ? `<a href="${e(file)}">${e(file)}</a>` : e(file));
  const collectors = (["wiremock", "container_logs", "container_stats"] as const).flatMap((name) => {
    const c = signals[name];
    if (!c) return [];
    const note = c.status === "failed" ? c.error : c.status === "skipped" ? c.reason : name === "wiremock" ? (c as { url?: string | null }).url : "";
    return [
      `<tr><td>${e(name)}</td><td class="${c.status === "failed" ? "bad" : c.status === "ok" ? "ok" : ""}">${e(c.status)}</td><td>${c.files.map(link).join("<br>")}</td><td class="n">${e(c.duration_seconds ?? "n/a")}</td><td>${e(note ?? "")}</td></tr>`,
    ];
  });
  const wiremock = signals.wiremock;
  let callsTable = "";
  if (wiremock?.status === "ok" && calls) {
    const rows = calls
      .slice(0, JOURNAL_TABLE_ROWS)
      .map(
        (call) =>
          `<tr><td>${e(call.method)}</td><td><code>${e(call.url)}</code></td><td class="n ${call.matched ? "" : "bad"}">${e(call.status ?? "n/a")}${call.matched ? "" : " (unmatched)"}</td><td>${e(call.at ?? "")}</td></tr>`,
      );
    const more = calls.length > JOURNAL_TABLE_ROWS ? `<p>${calls.length - JOURNAL_TABLE_ROWS} more in ${link(WIREMOCK_REQUESTS_FILE)}</p>` : "";
    callsTable = `<h3>WireMock calls during the run</h3>
${
  rows.length
    ? `<table><tr><th>method</th><th>URL</th><th>status</th><th>logged</th></tr>
${rows.join("\n")}
</table>${more}`
    : "<p>none: the service made no call to WireMock during the run</p>"
}`;
  }
  const containers = Object.entries(signals.container_stats?.containers ?? {});
  const memoryRows = containers.map(([name, c]) => {
    const delta = typeof c.memory_before === "number" && typeof c.memory_after === "number" ? c.memory_after - c.memory_before : null;
    const sign = delta !== null && delta > 0 ? "+" : delta !== null && delta < 0 ? "−" : "";
    return `<tr><td>${e(name)}</td><td>${e(c.service ?? "")}</td><td class="n">${e(mib(c.memory_before))}</td><td class="n">${e(mib(c.memory_after))}</td><td class="n">${e(delta === null ? "n/a" : `${sign}${formatBytes(Math.abs(delta))}`)}</td><td class="n">${e(mib(c.memory_limit))}</td><td class="${c.status === "failed" ? "bad" : ""}">${e(c.status === "failed" ? (c.error ?? "failed") : "")}</td></tr>`;
  });
  const memoryTable = memoryRows.length
    ? `<h3>Container memory (docker stats) before → after</h3>
<table><tr><th>container</th><th>service</th><th>before</th><th>after</th><th>change</th><th>limit</th><th></th></tr>
${memoryRows.join("\n")}
</table>`
    : "";
  return `<h2>Signals</h2>
<table><tr><th>collector</th><th>status</th><th>files</th><th>seconds</th><th>detail</th></tr>
${collectors.join("\n")}
</table>
${callsTable}
${memoryTable}`;
}

/** Mode attach: each process tracked in place, its reports (in its own folder) and what could not be made. */
function processesSection(summary: Summary): string {
  const attach = summary.attach;
  if (!attach) return "";
  const rows = attach.processes.map((p) => {
    const links = Object.entries(p.reports)
      .map(([key, file]) => `<a href="${e(file)}">${e(file.split("/").at(-1) ?? key)}</a>`)
      .join(" ");
    const missing = p.missing_reports.map((m) => `${e(m.report)}: ${e(m.reason)}`).join("<br>");
    const mb = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(1)} MB`);
    return `<tr><td class="n">${e(p.pid)}</td><td>${e(p.role)}</td><td>${e(p.method ?? "—")}</td><td class="${p.status === "tracked" ? "ok" : "bad"}">${e(p.status)}${p.error ? `: ${e(p.error)}` : ""}</td><td class="n">${e(mb(p.peak_memory_mb))}</td><td class="n">${e(mb(p.leaked_mb))}</td><td>${links}${missing ? `<br><small>not made: ${missing}</small>` : ""}</td><td><code>${e(p.cmdline.join(" "))}</code></td></tr>`;
  });
  return `<h2>Processes</h2>
<p>The service's own processes, tracked in place by <b>${e(attach.method ?? "—")}</b> for ${e(attach.duration_seconds)} s (stopped by ${e(attach.stopped_by)}${attach.aggregate ? ", aggregated captures" : ""}). memray cannot merge processes: the top allocators below are each process's tables summed by site.</p>
<table><tr><th>pid</th><th>role</th><th>way in</th><th>status</th><th>peak</th><th>leaked</th><th>reports</th><th>command</th></tr>
${rows.join("\n")}
</table>`;
}

/**
 * Render the run's index.html: key numbers, the leak verdict, a link to every file present, and the
 * signals (collectors, the WireMock calls of `wiremockCalls`, container memory before → after).
 */
export function renderRunIndex(summary: Summary, files: readonly string[], wiremockCalls?: readonly WireMockCallRow[]): string {
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
    .map(
      (row) =>
        `<tr><td><code>${e(row.file)}</code></td><td>${e(row.function ?? "")}</td><td class="n">${e(formatKb(row.size_kb))}</td><td class="n">${e(row.count)}</td></tr>`,
    );
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
${processesSection(summary)}
${allocators.length ? `<h2>Top allocators${summary.attach ? " (merged over the processes)" : ""}</h2>\n<table><tr><th>site</th><th>function</th><th>size</th><th>count</th></tr>\n${allocators.join("\n")}\n</table>` : ""}
${requests.length ? `<h2>Requests</h2>\n<table><tr><th>#</th><th>status</th><th>duration s</th><th>RSS before</th><th>RSS after</th><th>RSS delta</th></tr>\n${requests.join("\n")}\n</table>` : ""}
${signalsSection(summary, present, wiremockCalls)}
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
  const calls = files.includes(WIREMOCK_REQUESTS_FILE) ? await readWireMockCalls(path.join(runDir, WIREMOCK_REQUESTS_FILE)) : undefined;
  try {
    await writeFile(file, renderRunIndex(summary, [...new Set([...files, SUMMARY_FILE, RUN_INDEX_FILE])], calls));
  } catch (error) {
    await rm(file, { force: true }); // never a half-written page (a full disk)
    throw error;
  }
  return file;
}

/** The journal's calls, or undefined when it is too large, not a regular file or unreadable (it is still linked). */
async function readWireMockCalls(file: string): Promise<WireMockCallRow[] | undefined> {
  try {
    return wireMockCalls(JSON.parse((await readRunFile(file, { maxBytes: JOURNAL_TABLE_LIMIT_BYTES })).toString("utf8")));
  } catch {
    return undefined;
  }
}
