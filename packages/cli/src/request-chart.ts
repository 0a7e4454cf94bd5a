import { escapeHtml as e } from "@alpiq/memray-reports";
import type { RequestRecord } from "@alpiq/memray-core";

/** One line of a per-request chart: a value per request (null where it was not measured). */
export interface ChartSeries {
  /** CSS class of its points and line (`rss`, `heap`). */
  id: string;
  label: string;
  colour: string;
  /** Bytes per request, in request order. */
  values: (number | null)[];
}

const WIDTH = 720;
const HEIGHT = 260;
const PAD = { left: 72, right: 16, top: 16, bottom: 36 };

function formatAxisBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Heap in use after each request, when the harness records it (`requests[i].heap_after`, bytes). */
function heapValues(requests: readonly RequestRecord[]): (number | null)[] | undefined {
  const key = ["heap_after", "heap_in_use", "heap_bytes"].find((name) => requests.some((r) => typeof r[name] === "number"));
  if (!key) return undefined;
  return requests.map((r) => (typeof r[key] === "number" ? (r[key] as number) : null));
}

/** The series of a run's requests: RSS after each request, and the heap after each once it is recorded. */
export function requestSeries(requests: readonly RequestRecord[]): ChartSeries[] {
  const series: ChartSeries[] = [
    { id: "rss", label: "RSS after request", colour: "#1565c0", values: requests.map((r) => (typeof r.rss_after === "number" ? r.rss_after * 1024 : null)) },
  ];
  const heap = heapValues(requests);
  if (heap) series.push({ id: "heap", label: "heap after request", colour: "#c62828", values: heap });
  return series;
}

/**
 * An inline SVG line chart of per-request values: one `<circle class="point <id>">` per request and
 * series (with a `<title>` tooltip), a polyline through them, axes labelled in bytes and request numbers.
 */
export function renderRequestChart(chartId: string, requestNums: readonly number[], series: readonly ChartSeries[]): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  if (!requestNums.length || !all.length) return "";
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (max === min) {
    max += 1024;
    min = Math.max(0, min - 1024);
  }
  const span = max - min;
  min -= span * 0.05;
  max += span * 0.05;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (index: number) => PAD.left + (requestNums.length === 1 ? plotW / 2 : (index / (requestNums.length - 1)) * plotW);
  const y = (value: number) => PAD.top + plotH - ((value - min) / (max - min)) * plotH;

  const ticks = Array.from({ length: 5 }, (_, i) => min + ((max - min) * i) / 4);
  const yAxis = ticks
    .map(
      (value) =>
        `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${e(formatAxisBytes(value))}</text>`,
    )
    .join("");
  const step = Math.max(1, Math.ceil(requestNums.length / 12));
  const xAxis = requestNums
    .map((num, index) =>
      index % step === 0 || index === requestNums.length - 1
        ? `<text x="${x(index).toFixed(1)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${e(num)}</text>`
        : "",
    )
    .join("");
  const lines = series
    .map((s) => {
      const points = s.values
        .map((value, index) => (value === null ? null : { index, value }))
        .filter((p): p is { index: number; value: number } => p !== null);
      const path = points.map((p) => `${x(p.index).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
      const circles = points
        .map(
          (p) =>
            `<circle class="point ${e(s.id)}" data-request="${e(requestNums[p.index])}" data-bytes="${p.value}" cx="${x(p.index).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4" fill="${s.colour}"><title>request ${e(requestNums[p.index])}: ${e(s.label)} ${e(formatAxisBytes(p.value))}</title></circle>`,
        )
        .join("");
      return `<g class="series ${e(s.id)}"><polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"/>${circles}</g>`;
    })
    .join("");
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${PAD.left + 8 + i * 190},${PAD.top + 4})"><rect width="12" height="12" fill="${s.colour}"/><text x="18" y="11">${e(s.label)}</text></g>`,
    )
    .join("");
  return `<svg id="${e(chartId)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${e(series.map((s) => s.label).join(", "))} per request">
<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>${yAxis}
<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" class="axis"/><line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${HEIGHT - PAD.bottom}" y2="${HEIGHT - PAD.bottom}" class="axis"/>
${xAxis}<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 4}" text-anchor="middle">request</text>
${lines}${legend}</svg>`;
}
