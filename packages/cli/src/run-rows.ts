import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import {
  artifactFile,
  formatBytes,
  formatKb,
  fsErrorText,
  InvalidOptionError,
  MemrayError,
  PENDING_RUN_FILE,
  readSummary,
  SUMMARY_FILE,
  visibleText,
  type RunRow,
  type Summary,
} from "@alpiq/memray-core";

export interface RunEntry {
  dir: string;
  summary: Summary;
}

/** A directory that holds a summary.json that cannot be read: listed, never hidden. */
export interface BrokenRun {
  dir: string;
  problem: string;
}

export interface ListRunsOptions {
  /** Ctrl-C: stops between (and inside) the reads of the summaries. */
  signal?: AbortSignal | undefined;
  /** Real path every summary.json must be inside (the run browser: no link out of the runs directory). */
  within?: string | undefined;
}

/**
 * Every run directory under `root` (newest first), and those whose summary.json is unreadable: each
 * summary is read with core's readRunFile (a FIFO, a device or a file over the bound is listed as
 * unreadable, saying what it is, and never blocks the listing). A missing `root` holds no runs; one
 * that cannot be read (a symbolic link loop, no permission) is an error that says why.
 */
export async function listRuns(root: string, options: ListRunsOptions = {}): Promise<{ runs: RunEntry[]; broken: BrokenRun[] }> {
  const info = await stat(root).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InvalidOptionError(`--out ${root} cannot be read: ${fsErrorText(error) || String(error)}`, {
      cause: error,
      hint: "pass the directory that holds the run directories (default: runs) with --out DIR",
    });
  });
  if (info && !info.isDirectory()) {
    throw new InvalidOptionError(`--out ${root} is a file, not a directory of runs`, {
      hint: "pass the directory that holds the run directories (default: runs)",
    });
  }
  const entries = info ? await readdir(root, { withFileTypes: true }) : [];
  const runs: RunEntry[] = [];
  const broken: BrokenRun[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    if (!existsSync(path.join(dir, SUMMARY_FILE))) {
      // A capture (or a run still in its target) without a summary: memray-cli was stopped before the end.
      if (existsSync(path.join(dir, artifactFile("session_bin"))) || existsSync(path.join(dir, PENDING_RUN_FILE))) {
        broken.push({ dir, problem: `no summary.json: the run did not finish (memray-cli was stopped); recover it with \`memray-cli recover ${dir}\`` });
      }
      continue; // else not a run directory
    }
    try {
      runs.push({ dir, summary: await readSummary(dir, options) });
    } catch (error) {
      if (error instanceof MemrayError && error.exitCode >= 128) throw error; // Ctrl-C, SIGTERM
      broken.push({ dir, problem: error instanceof MemrayError ? error.reason : String(error) });
    }
  }
  runs.sort((a, b) => b.summary.timestamp.localeCompare(a.summary.timestamp) || b.dir.localeCompare(a.dir));
  return { runs, broken };
}

/** The leak verdict as a word: a verdict needs at least two requests. */
export function leakVerdict(summary: Summary): RunRow["leak_verdict"] {
  if (summary.requests.length < 2 && !summary.leak_indicators.likely_leak) return "n/a";
  return summary.leak_indicators.likely_leak ? "likely leak" : "no leak";
}

/** Where the run happened, as a word: `local` or the container's name. */
export function targetLabel(summary: Summary): string | null {
  const target = summary.target;
  if (!target) return null;
  return target.kind === "local" ? "local" : target.name;
}

/** One row of `runs list` / the run browser (the `--json` shape is core's runRowSchema). */
export function toRunRow(run: RunEntry, cwd: string): RunRow {
  const { summary } = run;
  return {
    run_dir: path.relative(cwd, run.dir) || ".",
    run_id: summary.run_id,
    mode: summary.mode ?? null,
    target: targetLabel(summary),
    peak_memory_bytes: summary.memray_stats?.peak_memory ?? null,
    rss_delta_kb: summary.memory.rss_delta,
    leak_verdict: leakVerdict(summary),
    status: summary.error ? "failed" : "ok",
    timestamp: summary.timestamp,
    summary,
  };
}

/** `2026-03-15T14:30:22Z` → `2026-03-15 14:30:22Z` (UTC, as recorded). */
export function formatRunDate(timestamp: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(timestamp);
  return match ? `${match[1]} ${match[2]}Z` : timestamp;
}

/** The cells of a row as text, in the table's column order. */
export const RUN_COLUMNS = ["run", "mode", "target", "peak memory", "RSS delta", "leak verdict", "date"] as const;

/** The cells as text for a terminal or a page: what came from the run goes through visibleText. */
export function runRowCells(row: RunRow): string[] {
  const cells = [
    row.run_dir,
    row.mode ?? "?",
    row.target ?? "?",
    row.peak_memory_bytes === null ? "n/a" : formatBytes(row.peak_memory_bytes),
    row.rss_delta_kb === null ? "n/a" : formatKb(row.rss_delta_kb),
    row.status === "failed" ? `${row.leak_verdict} (failed)` : row.leak_verdict,
    formatRunDate(row.timestamp),
  ];
  return cells.map(visibleText);
}
