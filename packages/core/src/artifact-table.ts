import { REPORTS } from "./report-table.js";

export interface ArtifactSpec {
  /** Key in summary.json `artifacts`; with `*` when `file` has one (one key per matching file). */
  key: string;
  /** File name in the run directory; one `*` makes it a family (`logs-*.txt`). */
  file: string;
  /** Who writes it: the harness (in the target) or the host side (memray-cli). */
  producer: "harness" | "host";
  /** Shown in index.html. */
  purpose: string;
}

/** Files of a run directory that are not reports, with their `artifacts` keys. */
const OTHER_ARTIFACTS: readonly ArtifactSpec[] = [
  { key: "session_bin", file: "session.bin", producer: "harness", purpose: "memray capture: open with any memray reporter" },
  { key: "objects_json", file: "memray-objects.json", producer: "harness", purpose: "Surviving Python objects by type (count, size)" },
  { key: "harness_log", file: "harness.log", producer: "host", purpose: "The workload's own stdout and stderr" },
  { key: "wiremock_requests", file: "wiremock-requests.json", producer: "host", purpose: "HTTP calls the service made during the run (WireMock journal)" },
  { key: "wiremock_unmatched", file: "wiremock-unmatched.json", producer: "host", purpose: "Requests that matched no WireMock stub" },
  { key: "logs_*", file: "logs-*.txt", producer: "host", purpose: "Container logs of one service (docker logs --since, with timestamps)" },
  {
    key: "container_stats_before",
    file: "container-stats-before.json",
    producer: "host",
    purpose: "docker stats of the target's containers before the workload",
  },
  { key: "container_stats_after", file: "container-stats-after.json", producer: "host", purpose: "docker stats of the target's containers after the workload" },
  { key: "index_html", file: "index.html", producer: "host", purpose: "This page: every file of the run, key numbers, the leak verdict" },
  { key: "compare_md", file: "compare.md", producer: "host", purpose: "Comparison with the --baseline run (Markdown): regressions, metrics, growing sites" },
  { key: "compare_json", file: "compare.json", producer: "host", purpose: "Comparison with the --baseline run (compare-report.schema.json)" },
];

/** Every named file of a run directory, reports included: the one table of `artifacts` keys. */
export const ARTIFACTS: readonly ArtifactSpec[] = [
  OTHER_ARTIFACTS[0]!,
  ...REPORTS.flatMap((report) => [
    { key: report.artifactKey, file: report.file, producer: "harness" as const, purpose: report.purpose },
    ...report.extraFiles.map((extra) => ({
      key: extra.artifactKey,
      file: extra.file,
      producer: "harness" as const,
      purpose: `${report.title} (machine-readable)`,
    })),
  ]),
  ...OTHER_ARTIFACTS.slice(1),
];

export const SUMMARY_FILE = "summary.json";
export const HARNESS_LOG_FILE = "harness.log";
/**
 * The run so far, kept by the harness in the run directory while it works (not an artifact): what a
 * recovering harness (`--recover`, `memray-cli recover`) takes over when the first one ended abruptly.
 */
export const HARNESS_STATE_FILE = ".harness-state.json";
/** Mode attach: each tracked process's capture and reports in `processes/<pid>-<role>/` of the run directory. */
export const ATTACH_PROCESSES_DIR = "processes";
export const RUN_INDEX_FILE = "index.html";

export function artifactByFile(file: string): ArtifactSpec | undefined {
  return ARTIFACTS.find((artifact) => artifact.file === file) ?? ARTIFACTS.find((artifact) => globMatch(artifact.file, file) !== null);
}

/** The summary.artifacts key of a file of the run directory (`logs-local-forecast.txt` → `logs_local_forecast`). */
export function artifactKeyOf(file: string): string | undefined {
  const artifact = artifactByFile(file);
  if (!artifact) return undefined;
  const star = globMatch(artifact.file, file);
  return star === null ? artifact.key : artifact.key.replace("*", star.replace(/[^A-Za-z0-9]+/g, "_"));
}

/** What `*` stands for when `file` matches the one-star pattern, else null. */
function globMatch(pattern: string, file: string): string | null {
  const star = pattern.indexOf("*");
  if (star === -1) return null;
  const [head, tail] = [pattern.slice(0, star), pattern.slice(star + 1)];
  if (file.length <= head.length + tail.length || !file.startsWith(head) || !file.endsWith(tail)) return null;
  return file.slice(head.length, file.length - tail.length);
}

/** The file name of an artifact key (`table_json` → `table.json`). */
export function artifactFile(key: string): string {
  const artifact = ARTIFACTS.find((candidate) => candidate.key === key);
  if (!artifact) throw new RangeError(`unknown artifact key ${key}`);
  return artifact.file;
}
