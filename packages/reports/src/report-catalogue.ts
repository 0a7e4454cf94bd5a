import type { ReportName } from "@alpiq/memray-core";

export interface ReportSpec {
  name: ReportName;
  /** File written in the run directory. */
  file: string;
  /** Key in summary.json `artifacts` (the seed's names). */
  artifactKey: string;
  title: string;
  /** What the report is for, shown in index.html and `runs show`. */
  purpose: string;
  /** Extra files the report writes besides `file`. */
  extraFiles?: { file: string; artifactKey: string }[];
}

/** Every report memray-cli makes from a capture, in the seed's order. */
export const REPORT_CATALOGUE: readonly ReportSpec[] = [
  {
    name: "flamegraph",
    file: "flamegraph.html",
    artifactKey: "flamegraph",
    title: "Flamegraph",
    purpose: "Standard allocation flamegraph at the high-water mark — width = allocation size",
  },
  {
    name: "leaks",
    file: "leaks.html",
    artifactKey: "leaks_flamegraph",
    title: "Leaks",
    purpose: "Only allocations never freed before tracking stopped (--leaks)",
  },
  {
    name: "temporal",
    file: "temporal.html",
    artifactKey: "temporal_flamegraph",
    title: "Temporal",
    purpose: "Memory over time with selectable time window — when did memory grow, and what grew (--temporal)",
  },
  {
    name: "temp-allocs",
    file: "temp-allocs.html",
    artifactKey: "temp_allocs_flamegraph",
    title: "Temporary allocations",
    purpose: "Allocations freed almost at once: churn, needless copies, PyO3 boundary overhead (--temporary-allocations)",
  },
  {
    name: "table",
    file: "table.txt",
    artifactKey: "table_report",
    title: "Table",
    purpose: "Allocation sites sorted by size — greppable, diffable between runs",
    extraFiles: [{ file: "table.json", artifactKey: "table_json" }],
  },
  {
    name: "tree",
    file: "tree.txt",
    artifactKey: "tree_report",
    title: "Tree",
    purpose: "Call tree of the high-water-mark allocations — who owns the memory",
  },
  {
    name: "stats",
    file: "stats.txt",
    artifactKey: "stats_txt",
    title: "Stats",
    purpose: "Allocation histogram, peak memory, counts and top allocators by size and by count",
    extraFiles: [{ file: "stats.json", artifactKey: "stats_json" }],
  },
];
