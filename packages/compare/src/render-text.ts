import type { CompareMetric, CompareReport, CompareSite } from "@alpiq/memray-core";
import pc from "picocolors";
import { formatBytes, formatMetricDelta, formatMetricRange, formatMetricValue, formatPct, formatSiteChange, formatSiteName } from "./format-values.js";
import { noRegressionBasis } from "./largest-growth.js";
import { describeConfidence } from "./spread-confidence.js";

export interface RenderTextOptions {
  /** ANSI colours (the caller decides: TTY, NO_COLOR, --color). */
  color?: boolean;
}

type Paint = (text: string) => string;
interface Cell {
  text: string;
  paint?: Paint;
  align?: "left" | "right";
}

/** Lay out rows of cells in padded columns; colour is applied after padding so widths stay right. */
function table(rows: Cell[][], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.text.length)));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) => {
          const last = i === row.length - 1;
          const padded = cell.align === "right" ? cell.text.padStart(widths[i]!) : last ? cell.text : cell.text.padEnd(widths[i]!);
          return cell.paint ? cell.paint(padded) : padded;
        })
        .join("  ")
    ).trimEnd(),
  );
}

function runLine(role: string, ref: CompareReport["baseline"], refs: CompareReport["baseline_runs"]): string {
  if (refs.length > 1) {
    const parts = [];
    if (ref.mode) parts.push(`mode ${ref.mode}`);
    if (ref.script) parts.push(`script ${ref.script}`);
    return `${role.padEnd(10)} ${refs.length} runs: ${refs.map((r) => r.path).join(", ")}${parts.length ? `  (${parts.join(", ")})` : ""}`;
  }
  const parts = [`run ${ref.run_id}`];
  if (ref.mode) parts.push(`mode ${ref.mode}`);
  if (ref.script) parts.push(`script ${ref.script}`);
  return `${role.padEnd(10)} ${ref.path}  (${parts.join(", ")})`;
}

/** Whether a side has more than one run: the report then shows medians, spreads and confidence. */
export function isMultiRun(report: CompareReport): boolean {
  return report.baseline_runs.length > 1 || report.candidate_runs.length > 1;
}

/** The rules in one line: threshold, the 1 MiB floor, the leak verdict, and with several runs the spread rule. */
export function rulesLine(report: CompareReport): string {
  const floor = formatBytes(report.rules.min_bytes);
  const parts = [
    `growth > ${report.rules.threshold_pct}% on a memory metric${overrides(report)}`,
    `changes under ${floor} are not flagged`,
    "a leak verdict turning to likely_leak",
  ];
  if (isMultiRun(report)) {
    parts.push(
      `medians of ${report.baseline_runs.length} baseline and ${report.candidate_runs.length} candidate runs; a candidate median within the baseline's min–max spread is never a regression`,
    );
  }
  return parts.join("; ");
}

function siteRows(kind: string, sites: CompareSite[], c: ReturnType<typeof pc.createColors>, grew: boolean): Cell[][] {
  return sites.map((s) => [
    { text: kind, paint: grew ? c.yellow : c.green },
    { text: formatBytes(s.delta_bytes, true), align: "right", paint: grew ? c.yellow : c.green },
    {
      text: s.baseline_bytes === null ? "new" : s.candidate_bytes === null ? "removed" : formatPct(s.delta_pct),
      align: "right",
    },
    { text: s.baseline_bytes === null ? "" : formatBytes(s.baseline_bytes), align: "right", paint: c.dim },
    { text: "→", paint: c.dim },
    { text: s.candidate_bytes === null ? "" : formatBytes(s.candidate_bytes), align: "right" },
    { text: s.site, paint: c.bold },
    { text: s.function ?? "" },
  ]);
}

/** The terminal report: runs, notes, metric table, leak verdict, allocation sites, verdict line. */
export function renderText(report: CompareReport, options: RenderTextOptions = {}): string {
  const c = pc.createColors(options.color ?? false);
  const out: string[] = [];
  out.push(c.bold("memray-compare"));
  out.push(`  ${runLine("baseline", report.baseline, report.baseline_runs)}`);
  out.push(`  ${runLine("candidate", report.candidate, report.candidate_runs)}`);
  for (const note of report.notes) out.push(c.cyan(`  note: ${note}`));
  for (const warning of report.warnings) out.push(c.yellow(`  warning: ${warning}`));
  out.push("");

  const status = (m: CompareMetric): Cell => {
    if (m.regression) return { text: `REGRESSION (> ${m.threshold_pct}%)`, paint: (t) => c.bold(c.red(t)) };
    if (m.status === "increased") return { text: m.gated ? "increased" : "increased (info)", paint: c.yellow };
    if (m.status === "decreased") return { text: m.gated ? "improved" : "decreased (info)", paint: c.green };
    if (m.status === "n/a") return { text: "n/a", paint: c.dim };
    return { text: m.gated ? "ok" : "ok (info)", paint: c.dim };
  };
  const multi = isMultiRun(report);
  const headers = multi
    ? ["METRIC", "BASELINE", "(MIN–MAX)", "CANDIDATE", "(MIN–MAX)", "CHANGE", "%", "STATUS", "CONFIDENCE"]
    : ["METRIC", "BASELINE", "CANDIDATE", "CHANGE", "%", "STATUS"];
  const statusAt = headers.indexOf("STATUS");
  const rows: Cell[][] = [
    headers.map((text, i) => ({
      text,
      paint: c.dim,
      align: i >= 1 && i < statusAt ? ("right" as const) : ("left" as const),
    })),
    ...report.metrics.map((m): Cell[] =>
      multi
        ? [
            { text: m.id },
            { text: formatMetricValue(m.unit, m.baseline), align: "right" },
            { text: formatMetricRange(m.unit, m.baseline_stats), align: "right", paint: c.dim },
            { text: formatMetricValue(m.unit, m.candidate), align: "right" },
            { text: formatMetricRange(m.unit, m.candidate_stats), align: "right", paint: c.dim },
            { text: formatMetricDelta(m), align: "right" },
            { text: m.delta === null ? "" : formatPct(m.delta_pct), align: "right" },
            status(m),
            { text: m.delta === null || m.delta === 0 ? "" : describeConfidence(m.confidence, m.delta), paint: c.dim },
          ]
        : [
            { text: m.id },
            { text: formatMetricValue(m.unit, m.baseline), align: "right" },
            { text: formatMetricValue(m.unit, m.candidate), align: "right" },
            { text: formatMetricDelta(m), align: "right" },
            { text: m.delta === null ? "" : formatPct(m.delta_pct), align: "right" },
            status(m),
          ],
    ),
  ];
  const leak = report.leak;
  const verdict = (likely: boolean): string => (likely ? "likely_leak" : "no leak");
  const leakVerdict = (likely: boolean, count: number, runs: number): string => (multi ? `${verdict(likely)} (${count}/${runs})` : verdict(likely));
  const blank = (): Cell => ({ text: "", align: "right" });
  rows.push([
    { text: "leak verdict" },
    { text: leakVerdict(leak.baseline_likely_leak, leak.baseline_likely_leak_runs, report.baseline_runs.length), align: "right" },
    ...(multi ? [blank()] : []),
    { text: leakVerdict(leak.candidate_likely_leak, leak.candidate_likely_leak_runs, report.candidate_runs.length), align: "right" },
    ...(multi ? [blank()] : []),
    blank(),
    blank(),
    leak.regression
      ? { text: "REGRESSION (became likely_leak)", paint: (t) => c.bold(c.red(t)) }
      : leak.status === "leak_resolved"
        ? { text: "improved", paint: c.green }
        : { text: "ok", paint: c.dim },
  ]);
  out.push(...table(rows));
  out.push("");

  const sites = report.sites;
  const source =
    report.baseline.site_source === report.candidate.site_source
      ? report.baseline.site_source
      : `${report.baseline.site_source} / ${report.candidate.site_source}`;
  out.push(
    c.bold("Allocation sites") +
      c.dim(
        ` (${source}${report.baseline.site_kind ? `, ${report.baseline.site_kind}` : ""}; changes >= ${formatBytes(sites.min_delta_bytes)}; top ${sites.limit} per kind)`,
      ),
  );
  const siteTable = [
    ...siteRows("grew", sites.grew, c, true),
    ...siteRows("new", sites.new, c, true),
    ...siteRows("shrank", sites.shrank, c, false),
    ...siteRows("removed", sites.removed, c, false),
  ];
  if (siteTable.length > 0) out.push(...table(siteTable));
  else out.push(c.dim(`  no site changed by ${formatBytes(sites.min_delta_bytes)} or more`));
  const hidden = (["grew", "new", "shrank", "removed"] as const)
    .map((k) => [k, sites.counts[k] - sites[k].length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} more ${k}`);
  const tail = [...hidden];
  if (sites.counts.below_floor > 0) tail.push(`${sites.counts.below_floor} changed by less`);
  if (tail.length > 0) out.push(c.dim(`  (${tail.join(", ")})`));
  out.push("");

  if (report.regression) {
    out.push(c.bold(c.red(`REGRESSION: ${report.regressions.length} found`)));
    for (const r of report.regressions) out.push(c.red(`  - ${r.message}`));
    if (report.top_growing_site) {
      out.push(`  grew most at ${c.bold(formatSiteName(report.top_growing_site))} ${formatSiteChange(report.top_growing_site)}`);
    }
  } else if (report.changed) {
    out.push(c.green("No regression") + " (memory changed within the rules)");
  } else {
    out.push(c.green("No change: no significant memory change, no regression"));
  }
  const basis = report.regression || !multi ? null : noRegressionBasis(report);
  if (basis) out.push(`  ${basis}`);
  out.push(c.dim(`rules: ${rulesLine(report)}`));
  return `${out.join("\n")}\n`;
}

export function overrides(report: CompareReport): string {
  const entries = Object.entries(report.rules.metric_thresholds);
  return entries.length === 0 ? "" : ` (${entries.map(([k, v]) => `${k} ${v}%`).join(", ")})`;
}
