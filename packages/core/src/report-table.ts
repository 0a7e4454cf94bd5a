/**
 * Every report memray-cli makes from a capture, in the seed's order: its file, its key in
 * summary.json `artifacts` (the seed's names), and how the harness makes it. The harness reads this
 * table from the generated contract.json; index.html and `runs show` read it for titles.
 */
export const REPORTS = [
  {
    name: "flamegraph",
    file: "flamegraph.html",
    artifactKey: "flamegraph",
    generator: "memray-flamegraph",
    flamegraphFlags: [],
    extraFiles: [],
    title: "Flamegraph",
    purpose: "Standard allocation flamegraph at the high-water mark — width = allocation size",
  },
  {
    name: "leaks",
    file: "leaks.html",
    artifactKey: "leaks_flamegraph",
    generator: "memray-flamegraph",
    flamegraphFlags: ["--leaks"],
    extraFiles: [],
    title: "Leaks",
    purpose: "Only allocations never freed before tracking stopped (--leaks)",
  },
  {
    name: "temporal",
    file: "temporal.html",
    artifactKey: "temporal_flamegraph",
    generator: "memray-flamegraph",
    flamegraphFlags: ["--temporal"],
    extraFiles: [],
    title: "Temporal",
    purpose: "Memory over time with selectable time window — when did memory grow, and what grew (--temporal)",
  },
  {
    name: "temp-allocs",
    file: "temp-allocs.html",
    artifactKey: "temp_allocs_flamegraph",
    generator: "memray-flamegraph",
    flamegraphFlags: ["--temporary-allocations"],
    extraFiles: [],
    title: "Temporary allocations",
    purpose: "Allocations freed almost at once: churn, needless copies, PyO3 boundary overhead (--temporary-allocations)",
  },
  {
    name: "table",
    file: "table.txt",
    artifactKey: "table_report",
    generator: "table-tree",
    flamegraphFlags: [],
    extraFiles: [{ file: "table.json", artifactKey: "table_json" }],
    title: "Table",
    purpose: "Allocation sites sorted by size — greppable, diffable between runs",
  },
  {
    name: "tree",
    file: "tree.txt",
    artifactKey: "tree_report",
    generator: "table-tree",
    flamegraphFlags: [],
    extraFiles: [],
    title: "Tree",
    purpose: "Call tree of the high-water-mark allocations — who owns the memory",
  },
  {
    name: "stats",
    file: "stats.txt",
    artifactKey: "stats_txt",
    generator: "memray-stats",
    flamegraphFlags: [],
    extraFiles: [{ file: "stats.json", artifactKey: "stats_json" }],
    title: "Stats",
    purpose: "Allocation histogram, peak memory, counts and top allocators by size and by count",
  },
  {
    name: "requests",
    file: "requests.txt",
    artifactKey: "requests_report",
    generator: "requests-verdict",
    flamegraphFlags: [],
    extraFiles: [],
    title: "Requests",
    purpose: "Per request: status, RSS and heap after it; the leak verdict and why; the sites whose heap grew",
  },
] as const satisfies readonly ReportSpec[];

export interface ReportSpec {
  name: string;
  /** File written in the run directory. */
  file: string;
  /** Key in summary.json `artifacts`. */
  artifactKey: string;
  /**
   * How the harness makes it: a `memray flamegraph` variant, the FileReader table/tree pass, `memray stats`, or
   * the per-request analysis once the requests are known (heap growth per request, leak verdict).
   */
  generator: "memray-flamegraph" | "table-tree" | "memray-stats" | "requests-verdict";
  /** Extra `memray flamegraph` flags (memray-flamegraph reports). */
  flamegraphFlags: readonly string[];
  /** Files the report writes besides `file`. */
  extraFiles: readonly { file: string; artifactKey: string }[];
  title: string;
  /** What the report is for, shown in index.html and `runs show`. */
  purpose: string;
}

export type ReportName = (typeof REPORTS)[number]["name"];
export const REPORT_NAMES = REPORTS.map((report) => report.name) as [ReportName, ...ReportName[]];

/** The six reports the seed makes for every capture. */
export const STANDARD_REPORTS: readonly ReportName[] = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"];

export function reportSpec(name: ReportName): ReportSpec {
  return REPORTS.find((report) => report.name === name)!;
}
