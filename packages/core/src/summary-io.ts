import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { SUMMARY_FILE } from "./artifact-table.js";
import type { ErrorCode } from "./error-codes.js";
import { DiskFullError, findNoSpace } from "./disk-full.js";
import { MemrayError } from "./errors.js";
import type { Mode } from "./mode-rules.js";
import { readRunFile, type ReadRunFileOptions } from "./run-file.js";
import { formatIssues } from "./zod-issues.js";
import { summarySchema, type Summary, type TargetInfo } from "./summary-schema.js";

/** A summary.json that is not JSON or does not match summarySchema (bad input: exit 2). */
export class InvalidSummaryError extends MemrayError {
  constructor(
    readonly file: string,
    readonly issues: string,
    cause?: unknown,
  ) {
    super("INVALID_SUMMARY", `${file} is not a valid memray-cli summary: ${issues}`, { cause });
  }
}

/**
 * Read and validate a summary.json (file or run directory) through readRunFile: a regular file within
 * its bound (RUN_FILE_BOUNDS), else a RunFileError (RUN_UNREADABLE, exit 2) saying what it is.
 */
export async function readSummary(fileOrDir: string, options: ReadRunFileOptions = {}): Promise<Summary> {
  const file = fileOrDir.endsWith(".json") ? fileOrDir : path.join(fileOrDir, SUMMARY_FILE);
  const raw = (await readRunFile(file, options)).toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new InvalidSummaryError(file, `malformed JSON (${(error as Error).message})`, error);
  }
  return parseSummary(data, file);
}

export function parseSummary(data: unknown, label = "summary"): Summary {
  const result = summarySchema.safeParse(data);
  if (!result.success) {
    throw new InvalidSummaryError(label, formatIssues(result.error), result.error);
  }
  return result.data;
}

/** Write summary.json atomically (a reader never sees half a file); the temp file never outlives a failure. */
export async function writeSummary(runDir: string, summary: Summary): Promise<string> {
  const file = path.join(runDir, SUMMARY_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    if (findNoSpace(error)) throw new DiskFullError(file, Buffer.byteLength(text), error);
    throw error;
  }
  return file;
}

export interface FallbackSummaryInput {
  runId: string;
  /** Absent when the mode itself was the bad input. */
  mode: Mode | undefined;
  script: string | null;
  timestamp: Date;
  error: string;
  errorCode: ErrorCode;
  target?: TargetInfo;
  artifacts?: Record<string, string>;
}

/**
 * The summary memray-cli writes when the harness could not (never started, killed, its output lost):
 * valid against the same schema, nothing measured, the error and its code set.
 */
export function fallbackSummary(input: FallbackSummaryInput): Summary {
  return summarySchema.parse({
    run_id: input.runId,
    script: input.script,
    timestamp: input.timestamp.toISOString().replace(/\.\d{3}Z$/, "Z"),
    exit_code: null,
    error: input.error,
    duration_seconds: null,
    memory: {
      rss_before: null,
      rss_after: null,
      rss_delta: null,
      tracemalloc_current: null,
      tracemalloc_peak: null,
      tracemalloc_delta: null,
    },
    top_allocators: [],
    requests: [],
    leak_indicators: { rss_growth_mb: null, monotonic_growth: false, likely_leak: false },
    profiling: { memray_enabled: false, native_traces: false, trace_python_allocators: false },
    artifacts: input.artifacts ?? {},
    ...(input.mode ? { mode: input.mode } : {}),
    warnings: [],
    error_code: input.errorCode,
    ...(input.target ? { target: input.target } : {}),
  });
}
