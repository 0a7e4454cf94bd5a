import type { CompareMetric, CompareReport, CompareSite } from "@alpiq/memray-core";
import { formatBytes, formatMetricDelta, formatMetricRange, formatMetricValue, formatPct, formatSiteChange } from "./format-values.js";
import { noRegressionBasis } from "./largest-growth.js";
import { isMultiRun, rulesLine } from "./render-text.js";
import { describeConfidence } from "./spread-confidence.js";

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
  const verdict = report.regression ? "❌ memory regression" : report.changed ? "✅ no regression" : "✅ no change";
  out.push(`### memray-compare: ${verdict}`);
  out.push("");
  const multi = isMultiRun(report);
  const ref = (r: CompareReport["baseline"], runs: CompareReport["baseline_runs"]): string =>
    `${runs.length > 1 ? `${runs.length} runs ${runs.map((x) => code(x.run_id)).join(", ")}` : code(r.run_id)}${r.mode ? ` · mode ${code(r.mode)}` : ""}${r.script ? ` · script ${code(r.script)}` : ""}`;
  out.push(`**Baseline** ${ref(report.baseline, report.baseline_runs)}  `);
  out.push(`**Candidate** ${ref(report.candidate, report.candidate_runs)}`);
  out.push("");
  if (multi) {
    out.push(
      `Medians of each side compared; the spread of a side is the min–max range of its runs, and a candidate median within the baseline's spread is never a regression.`,
    );
    const basis = report.regression ? null : noRegressionBasis(report);
    if (basis) out.push(`Verdict basis: ${md(basis)}.`);
    out.push("");
  }
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

  const leak = report.leak;
  const v = (b: boolean): string => (b ? "likely_leak" : "no leak");
  const leakStatus = leak.regression ? "❌ **regression**" : leak.status === "leak_resolved" ? "✅ improved" : "ok";
  if (multi) {
    out.push("| Metric | Baseline median | Baseline min–max | Candidate median | Candidate min–max | Change | % | Status | Confidence |");
    out.push("|---|--:|--:|--:|--:|--:|--:|---|---|");
    for (const m of report.metrics) {
      const confidence = m.delta === null || m.delta === 0 ? "" : describeConfidence(m.confidence, m.delta);
      out.push(
        `| ${code(m.id)} | ${formatMetricValue(m.unit, m.baseline)} | ${formatMetricRange(m.unit, m.baseline_stats)} | ${formatMetricValue(m.unit, m.candidate)} | ${formatMetricRange(m.unit, m.candidate_stats)} | ${formatMetricDelta(m)} | ${m.delta === null ? "" : formatPct(m.delta_pct)} | ${metricStatus(m)} | ${confidence} |`,
      );
    }
    const runs = (likely: boolean, count: number, total: number) => `${v(likely)} (${count}/${total} runs)`;
    out.push(
      `| leak verdict | ${runs(leak.baseline_likely_leak, leak.baseline_likely_leak_runs, report.baseline_runs.length)} | | ${runs(leak.candidate_likely_leak, leak.candidate_likely_leak_runs, report.candidate_runs.length)} | | | | ${leakStatus} | |`,
    );
  } else {
    out.push("| Metric | Baseline | Candidate | Change | % | Status |");
    out.push("|---|--:|--:|--:|--:|---|");
    for (const m of report.metrics) {
      out.push(
        `| ${code(m.id)} | ${formatMetricValue(m.unit, m.baseline)} | ${formatMetricValue(m.unit, m.candidate)} | ${formatMetricDelta(m)} | ${m.delta === null ? "" : formatPct(m.delta_pct)} | ${metricStatus(m)} |`,
      );
    }
    out.push(`| leak verdict | ${v(leak.baseline_likely_leak)} | ${v(leak.candidate_likely_leak)} | | | ${leakStatus} |`);
  }
  out.push("");

  const sites = report.sites;
  out.push(
    `**Allocation sites** (${multi ? "median per site over the runs; " : ""}changes ≥ ${formatBytes(sites.min_delta_bytes)}, top ${sites.limit} per kind)`,
  );
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
  out.push(`<sub>Rules: ${md(rulesLine(report))}. Exit code ${report.exit_code}.</sub>`);
  return `${out.join("\n")}\n`;
}
