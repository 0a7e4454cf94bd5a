import type { CompareMetric, CompareReport, CompareSite } from "@alpiq/memray-core";
import { formatBytes, formatMetricDelta, formatMetricValue, formatPct, formatSiteChange } from "./format-values.js";
import { overrides } from "./render-text.js";

/** Escape what would break a table cell or inline formatting. */
function md(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}
const code = (text: string): string => `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;

function metricStatus(m: CompareMetric): string {
  if (m.regression) return `❌ **regression** (> ${m.threshold_pct}%)`;
  if (m.status === "increased") return m.gated ? "⚠️ increased" : "increased (info)";
  if (m.status === "decreased") return m.gated ? "✅ improved" : "decreased (info)";
  if (m.status === "n/a") return "n/a";
  return m.gated ? "ok" : "ok (info)";
}

function siteRow(kind: string, s: CompareSite): string {
  const pct = s.baseline_bytes === null ? "new" : s.candidate_bytes === null ? "removed" : formatPct(s.delta_pct);
  return `| ${kind} | ${code(s.site)} | ${s.function ? code(s.function) : ""} | ${s.baseline_bytes === null ? "" : formatBytes(s.baseline_bytes)} | ${s.candidate_bytes === null ? "" : formatBytes(s.candidate_bytes)} | ${formatBytes(s.delta_bytes, true)} | ${pct} |`;
}

/** A pull-request comment: verdict heading, metric table, site table, notes and rules. */
export function renderMarkdown(report: CompareReport): string {
  const out: string[] = [];
  const verdict = report.regression
    ? "❌ memory regression"
    : report.changed
      ? "✅ no regression"
      : "✅ no change";
  out.push(`### memray-compare: ${verdict}`);
  out.push("");
  const ref = (r: CompareReport["baseline"]): string =>
    `${code(r.run_id)}${r.mode ? ` · mode ${code(r.mode)}` : ""}${r.script ? ` · script ${code(r.script)}` : ""}`;
  out.push(`**Baseline** ${ref(report.baseline)}  `);
  out.push(`**Candidate** ${ref(report.candidate)}`);
  out.push("");
  if (report.regression) {
    out.push("**Regressions**");
    out.push("");
    for (const r of report.regressions) out.push(`- ${md(r.message)}`);
    if (report.top_growing_site) {
      const site = report.top_growing_site;
      out.push(`- grew most at ${code(site.site)}${site.function ? ` (${code(site.function)})` : ""} ${formatSiteChange(site)}`);
    }
    out.push("");
  }
  for (const note of report.notes) out.push(`> **Note:** ${md(note)}  `);
  for (const warning of report.warnings) out.push(`> **Warning:** ${md(warning)}  `);
  if (report.notes.length + report.warnings.length > 0) out.push("");

  out.push("| Metric | Baseline | Candidate | Change | % | Status |");
  out.push("|---|--:|--:|--:|--:|---|");
  for (const m of report.metrics) {
    out.push(
      `| ${code(m.id)} | ${formatMetricValue(m.unit, m.baseline)} | ${formatMetricValue(m.unit, m.candidate)} | ${formatMetricDelta(m)} | ${m.delta === null ? "" : formatPct(m.delta_pct)} | ${metricStatus(m)} |`,
    );
  }
  const leak = report.leak;
  const v = (b: boolean): string => (b ? "likely_leak" : "no leak");
  const leakStatus = leak.regression ? "❌ **regression**" : leak.status === "leak_resolved" ? "✅ improved" : "ok";
  out.push(`| leak verdict | ${v(leak.baseline_likely_leak)} | ${v(leak.candidate_likely_leak)} | | | ${leakStatus} |`);
  out.push("");

  const sites = report.sites;
  out.push(`**Allocation sites** (changes ≥ ${formatBytes(sites.min_delta_bytes)}, top ${sites.limit} per kind)`);
  out.push("");
  const rows = [
    ...sites.grew.map((s) => siteRow("grew", s)),
    ...sites.new.map((s) => siteRow("new", s)),
    ...sites.shrank.map((s) => siteRow("shrank", s)),
    ...sites.removed.map((s) => siteRow("removed", s)),
  ];
  if (rows.length === 0) {
    out.push(`No allocation site changed by ${formatBytes(sites.min_delta_bytes)} or more.`);
  } else {
    out.push("| Change | Site | Function | Baseline | Candidate | Δ | % |");
    out.push("|---|---|---|--:|--:|--:|--:|");
    out.push(...rows);
  }
  out.push("");
  out.push(
    `<sub>Rules: growth > ${report.rules.threshold_pct}% on a memory metric${md(overrides(report))} and at least ${formatBytes(report.rules.min_bytes)}; a leak verdict turning to likely_leak. Exit code ${report.exit_code}.</sub>`,
  );
  return `${out.join("\n")}\n`;
}
