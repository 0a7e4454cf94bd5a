import path from "node:path";
import {
  artifactFile,
  formatIssues,
  InvalidSummaryError,
  MemrayError,
  parseSummary,
  statsDataSchema,
  SUMMARY_FILE,
  tableDataSchema,
  type Summary,
} from "@alpiq/memray-core";
import { runFileCompareFs, type CompareFs } from "./run-file-fs.js";
import { InvalidRunDataError, InvalidRunSummaryError, RunNotFoundError, RunUnreadableError, SummaryNotFoundError, type RunRole } from "./errors.js";

export const TABLE_FILE = artifactFile("table_json");
export const STATS_FILE = artifactFile("stats_json");

/** One allocation site of a run, in bytes. */
export interface RunSite {
  site: string;
  function: string | null;
  sizeBytes: number;
  count: number;
}

/** memray's headline numbers for a run (null when the run does not hold them). */
export interface MemrayStats {
  peakMemory: number | null;
  totalAllocations: number | null;
  totalBytesAllocated: number | null;
}

/** Everything compare needs from one run directory. */
export interface RunData {
  /** The path as given. */
  input: string;
  dir: string;
  /** Absolute (symlink-resolved) path of the summary.json read. */
  summaryFile: string;
  summary: Summary;
  sites: RunSite[];
  siteSource: "table.json" | "top_allocators" | "none";
  /** table.json's `source` ("high_watermark" | "leaked") when read from there. */
  siteKind: string | null;
  /** table.json's total_bytes. */
  tableTotalBytes: number | null;
  memrayStats: MemrayStats;
  warnings: string[];
}

export type { CompareFs };
export const nodeCompareFs: CompareFs = runFileCompareFs();

export interface LoadRunDeps {
  fs?: CompareFs;
  /** Relative paths are resolved against it (default process.cwd()). */
  cwd?: string;
  log?: (message: string) => void;
}

/** A refusal that already says what is wrong and what to do (a FIFO, a file over its bound, Ctrl-C): passed on as it is. */
function passOn(error: unknown): boolean {
  return error instanceof MemrayError && (error.code === "RUN_UNREADABLE" || error.exitCode >= 128);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Read a JSON file that may be absent: undefined when missing. */
async function readOptionalJson(fs: CompareFs, file: string, role: RunRole): Promise<unknown> {
  let raw: string;
  try {
    raw = await fs.readText(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    if (passOn(error)) throw error;
    throw new RunUnreadableError(file, role, error);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new InvalidRunDataError(file, role, `malformed JSON (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Load a run for comparison: `input` is a run directory or a summary.json file. The summary is validated
 * with core's schema; per-site data comes from table.json beside it, else from summary.top_allocators;
 * memray's numbers from summary.memray_stats, else stats.json.
 */
export async function loadRun(input: string, role: RunRole, deps: LoadRunDeps = {}): Promise<RunData> {
  const fs = deps.fs ?? nodeCompareFs;
  const log = deps.log ?? (() => {});
  const absolute = path.resolve(deps.cwd ?? process.cwd(), input);

  let isDir: boolean;
  try {
    isDir = await fs.isDirectory(absolute);
  } catch (error) {
    if (isMissing(error)) throw new RunNotFoundError(input, role, error);
    throw new RunUnreadableError(input, role, error);
  }
  const summaryPath = isDir ? path.join(absolute, SUMMARY_FILE) : absolute;
  const dir = path.dirname(summaryPath);

  let raw: string;
  try {
    raw = await fs.readText(summaryPath);
  } catch (error) {
    if (isMissing(error)) throw new SummaryNotFoundError(summaryPath, role, error);
    if (passOn(error)) throw error;
    throw new RunUnreadableError(summaryPath, role, error);
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new InvalidRunSummaryError(summaryPath, role, `malformed JSON (${(error as Error).message})`, { cause: error });
  }
  let summary: Summary;
  try {
    summary = parseSummary(data, summaryPath);
  } catch (error) {
    if (error instanceof InvalidSummaryError) {
      throw new InvalidRunSummaryError(summaryPath, role, error.issues, { cause: error });
    }
    throw error;
  }
  const summaryFile = await fs.realpath(summaryPath).catch(() => summaryPath);
  log(`${role}: read ${summaryFile}`);

  const warnings: string[] = [];

  // Per-site data.
  const tableFile = path.join(dir, TABLE_FILE);
  const tableRaw = await readOptionalJson(fs, tableFile, role);
  let sites: RunSite[];
  let siteSource: RunData["siteSource"];
  let siteKind: string | null = null;
  let tableTotalBytes: number | null = null;
  if (tableRaw !== undefined) {
    const parsed = tableDataSchema.safeParse(tableRaw);
    if (!parsed.success) throw new InvalidRunDataError(tableFile, role, formatIssues(parsed.error));
    sites = parsed.data.sites.map((s) => ({
      site: s.site,
      function: s.function ?? null,
      sizeBytes: s.size_bytes,
      count: s.count,
    }));
    siteSource = "table.json";
    siteKind = parsed.data.source;
    tableTotalBytes = parsed.data.total_bytes;
    log(`${role}: ${sites.length} sites from ${tableFile}`);
  } else if (summary.top_allocators.length > 0) {
    sites = summary.top_allocators.map((t) => ({
      site: t.file,
      function: t.function ?? null,
      sizeBytes: Math.round(t.size_kb * 1024),
      count: t.count,
    }));
    siteSource = "top_allocators";
  } else {
    sites = [];
    siteSource = "none";
  }

  // memray's numbers.
  const embedded = summary.memray_stats;
  let memrayStats: MemrayStats = {
    peakMemory: embedded?.peak_memory ?? null,
    totalAllocations: embedded?.total_allocations ?? null,
    totalBytesAllocated: embedded?.total_bytes_allocated ?? null,
  };
  if (memrayStats.peakMemory === null || memrayStats.totalAllocations === null || memrayStats.totalBytesAllocated === null) {
    const statsFile = path.join(dir, STATS_FILE);
    const statsRaw = await readOptionalJson(fs, statsFile, role);
    if (statsRaw !== undefined) {
      const parsed = statsDataSchema.safeParse(statsRaw);
      if (!parsed.success) throw new InvalidRunDataError(statsFile, role, formatIssues(parsed.error));
      memrayStats = {
        peakMemory: memrayStats.peakMemory ?? parsed.data.metadata?.peak_memory ?? null,
        totalAllocations: memrayStats.totalAllocations ?? parsed.data.total_num_allocations ?? null,
        totalBytesAllocated: memrayStats.totalBytesAllocated ?? parsed.data.total_bytes_allocated ?? null,
      };
    }
  }
  // table.json's high-water-mark total is memray's peak when nothing else says so.
  if (memrayStats.peakMemory === null && siteKind === "high_watermark" && tableTotalBytes !== null) {
    memrayStats = { ...memrayStats, peakMemory: tableTotalBytes };
  }

  return {
    input,
    dir,
    summaryFile,
    summary,
    sites,
    siteSource,
    siteKind,
    tableTotalBytes,
    memrayStats,
    warnings,
  };
}
