import { MemrayError, type MemrayErrorOptions } from "@alpiq/memray-core";

/** Which side of the comparison a path belongs to. */
export type RunRole = "baseline" | "candidate";

/** A run argument names nothing on disk. */
export class RunNotFoundError extends MemrayError {
  constructor(
    readonly runPath: string,
    readonly role: RunRole,
    cause?: unknown,
  ) {
    super("RUN_NOT_FOUND", `The ${role} run ${runPath} does not exist`, {
      cause,
      hint: "pass a run directory (runs/<name>-<timestamp>/) or its summary.json",
    });
  }
}

/** A run directory without a summary.json. */
export class SummaryNotFoundError extends MemrayError {
  constructor(
    readonly summaryFile: string,
    readonly role: RunRole,
    cause?: unknown,
  ) {
    super("SUMMARY_NOT_FOUND", `The ${role} run has no summary.json: ${summaryFile} is missing`, {
      cause,
      hint: "pass a directory written by `memray-cli profile` (it always holds summary.json)",
    });
  }
}

/** summary.json (or table.json / stats.json) exists but cannot be read. */
export class RunUnreadableError extends MemrayError {
  constructor(
    readonly file: string,
    readonly role: RunRole,
    cause?: unknown,
  ) {
    const reason = cause instanceof MemrayError ? cause.reason : cause instanceof Error ? cause.message : String(cause);
    super("RUN_UNREADABLE", `Cannot read ${file} of the ${role} run: ${reason}`, {
      cause,
      hint: "check the file's permissions",
    });
  }
}

/** summary.json is not valid JSON or does not match core's summary schema. */
export class InvalidRunSummaryError extends MemrayError {
  constructor(
    readonly file: string,
    readonly role: RunRole,
    readonly issues: string,
    options: MemrayErrorOptions = {},
  ) {
    super("INVALID_SUMMARY", `The ${role} summary ${file} is not a valid memray-cli summary: ${issues}`, {
      hint: "pass a summary.json written by memray-cli (schema: @alpiq/memray-core/schema/summary.schema.json)",
      ...options,
    });
  }
}

/** table.json or stats.json beside summary.json is malformed. */
export class InvalidRunDataError extends MemrayError {
  constructor(
    readonly file: string,
    readonly role: RunRole,
    readonly issues: string,
    options: MemrayErrorOptions = {},
  ) {
    super("INVALID_RUN_DATA", `The ${role} run's ${file} is malformed: ${issues}`, {
      hint: "regenerate the run, or delete the file to compare without it",
      ...options,
    });
  }
}

/** A `--threshold` value that is neither PCT nor METRIC=PCT, or names an unknown metric. */
export class InvalidThresholdError extends MemrayError {
  constructor(
    readonly value: string,
    reason: string,
    readonly flag = "--threshold",
  ) {
    super("INVALID_THRESHOLD", `${flag}: ${reason}, received "${value}"`, {
      hint: `use ${flag} 20 (percent, all memory metrics) or ${flag} rss_delta=30 (one metric; repeatable)`,
    });
  }
}

/**
 * The runs of one side (`--baseline A1 A2 A3`) cannot be pooled into a median: they profile different
 * modes or scripts, or one run is given twice. Bad input of that flag (exit 2).
 */
export class MixedRunGroupError extends MemrayError {
  constructor(
    readonly role: RunRole,
    reason: string,
    readonly runPaths: readonly string[],
  ) {
    super("INVALID_OPTION", `--${role}: ${reason}`, {
      hint: `the runs of one side are repeats of one workload: same mode and script, each run once (memray-compare --baseline A1 A2 A3 --candidate B1 B2 B3)`,
    });
  }
}

/** GITHUB_STEP_SUMMARY or GITHUB_OUTPUT names a file that cannot be appended to. */
export class GithubFileError extends MemrayError {
  constructor(
    readonly variable: "GITHUB_STEP_SUMMARY" | "GITHUB_OUTPUT",
    readonly file: string,
    cause?: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("OUTPUT_NOT_WRITABLE", `${variable}: cannot append to ${file}: ${reason}`, {
      cause,
      hint: `${variable} is set by GitHub Actions to a writable file; unset it (or point it at one) outside Actions`,
    });
  }
}
