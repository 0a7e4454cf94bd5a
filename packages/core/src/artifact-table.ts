import { REPORTS } from "./report-table.js";

export interface ArtifactSpec {
  /** Key in summary.json `artifacts`. */
  key: string;
  /** File name in the run directory. */
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
  { key: "index_html", file: "index.html", producer: "host", purpose: "This page: every file of the run, key numbers, the leak verdict" },
];

/** Every named file of a run directory, reports included: the one table of `artifacts` keys. */
export const ARTIFACTS: readonly ArtifactSpec[] = [
  OTHER_ARTIFACTS[0]!,
  ...REPORTS.flatMap((report) => [
    { key: report.artifactKey, file: report.file, producer: "harness" as const, purpose: report.purpose },
    ...report.extraFiles.map((extra) => ({ key: extra.artifactKey, file: extra.file, producer: "harness" as const, purpose: `${report.title} (machine-readable)` })),
  ]),
  ...OTHER_ARTIFACTS.slice(1),
];

export const SUMMARY_FILE = "summary.json";
export const HARNESS_LOG_FILE = "harness.log";
export const RUN_INDEX_FILE = "index.html";

export function artifactByFile(file: string): ArtifactSpec | undefined {
  return ARTIFACTS.find((artifact) => artifact.file === file);
}

/** The file name of an artifact key (`table_json` → `table.json`). */
export function artifactFile(key: string): string {
  const artifact = ARTIFACTS.find((candidate) => candidate.key === key);
  if (!artifact) throw new RangeError(`unknown artifact key ${key}`);
  return artifact.file;
}
