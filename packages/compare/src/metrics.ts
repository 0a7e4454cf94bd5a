import type { CompareMetricId } from "@alpiq/memray-core";
import type { RunData } from "./load-run.js";

export type MetricUnit = "bytes" | "seconds" | "count";
export type MetricKind = "memory" | "informational";

/** One compared number: where it comes from and how it gates. */
export interface MetricDefinition {
  id: CompareMetricId;
  label: string;
  unit: MetricUnit;
  /** memory metrics regress on growth by default; informational ones only with an explicit threshold. */
  kind: MetricKind;
  /** The value in `unit` (RSS converted from KB to bytes), null when the run does not hold it. */
  extract(run: RunData): number | null;
}

const kbToBytes = (kb: number | null | undefined): number | null => (kb === null || kb === undefined ? null : kb * 1024);
const orNull = (value: number | null | undefined): number | null => (value === undefined ? null : value);

function meanRequestRssDelta(run: RunData): number | null {
  const deltas = run.summary.requests.map((r) => r.rss_delta).filter((d): d is number => d !== null);
  if (deltas.length === 0) return null;
  return kbToBytes(deltas.reduce((sum, d) => sum + d, 0) / deltas.length);
}

/** The metrics compared, in display order. */
export const METRICS: readonly MetricDefinition[] = [
  { id: "rss_delta", label: "RSS delta", unit: "bytes", kind: "memory", extract: (r) => kbToBytes(r.summary.memory.rss_delta) },
  { id: "rss_after", label: "RSS after", unit: "bytes", kind: "memory", extract: (r) => kbToBytes(r.summary.memory.rss_after) },
  {
    id: "tracemalloc_peak",
    label: "tracemalloc peak",
    unit: "bytes",
    kind: "memory",
    extract: (r) => orNull(r.summary.memory.tracemalloc_peak),
  },
  {
    id: "tracemalloc_current",
    label: "tracemalloc current",
    unit: "bytes",
    kind: "memory",
    extract: (r) => orNull(r.summary.memory.tracemalloc_current),
  },
  { id: "peak_memory", label: "memray peak memory", unit: "bytes", kind: "memory", extract: (r) => r.memrayStats.peakMemory },
  {
    id: "total_bytes_allocated",
    label: "memray total bytes allocated",
    unit: "bytes",
    kind: "memory",
    extract: (r) => r.memrayStats.totalBytesAllocated,
  },
  {
    id: "total_allocations",
    label: "memray total allocations",
    unit: "count",
    kind: "informational",
    extract: (r) => r.memrayStats.totalAllocations,
  },
  {
    id: "request_rss_delta_mean",
    label: "mean RSS delta per request",
    unit: "bytes",
    kind: "memory",
    extract: meanRequestRssDelta,
  },
  {
    id: "duration_seconds",
    label: "duration",
    unit: "seconds",
    kind: "informational",
    extract: (r) => orNull(r.summary.duration_seconds),
  },
];
