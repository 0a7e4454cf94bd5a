import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { MemrayError } from "./errors.js";
import { ExitCode } from "./exit-codes.js";
import { summarySchema, type Summary } from "./summary-schema.js";
import type { Mode } from "./modes.js";

export const SUMMARY_FILE = "summary.json";

/** A summary.json that is not JSON or does not match summarySchema (bad input: exit 2). */
export class InvalidSummaryError extends MemrayError {
  constructor(readonly file: string, readonly issues: string) {
    super("INVALID_SUMMARY", ExitCode.Usage, `${file} is not a valid memray-cli summary: ${issues}`);
  }
}

/** Read and validate a summary.json (file or run directory). */
export async function readSummary(fileOrDir: string): Promise<Summary> {
  const file = fileOrDir.endsWith(".json") ? fileOrDir : path.join(fileOrDir, SUMMARY_FILE);
  const raw = await readFile(file, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new InvalidSummaryError(file, `malformed JSON (${(error as Error).message})`);
  }
  return parseSummary(data, file);
}

export function parseSummary(data: unknown, label = "summary"): Summary {
  const result = summarySchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new InvalidSummaryError(label, issues);
  }
  return result.data;
}

/** Write summary.json atomically (a reader never sees half a file). */
export async function writeSummary(runDir: string, summary: Summary): Promise<string> {
  const file = path.join(runDir, SUMMARY_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

export interface EmptySummaryInput {
  runId: string;
  mode: Mode;
  script: string | null;
  timestamp: Date;
  error: string | null;
}

/** A valid summary with nothing measured: the base of a run that failed before the harness wrote one. */
export function emptySummary(input: EmptySummaryInput): Summary {
  return {
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
    artifacts: {},
    mode: input.mode,
    warnings: [],
  };
}
