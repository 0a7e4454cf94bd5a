import { parseArgs } from "node:util";
import { COMPARE_METRIC_IDS, InvalidOptionError, type CompareMetricId } from "@alpiq/memray-core";
import type { CompareOptionsInput } from "./compare-options.js";
import { InvalidThresholdError } from "./errors.js";

export const OUTPUT_FORMATS = ["text", "markdown", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type ParsedCompareArgs =
  | { kind: "help" }
  | { kind: "version" }
  | {
      kind: "compare";
      /** The first baseline run (the only one in the two-run form). */
      baseline: string;
      /** The first candidate run. */
      candidate: string;
      /** Every baseline run: `<runA>`, or the runs after --baseline. */
      baselines: string[];
      /** Every candidate run: `<runB>`, or the runs after --candidate. */
      candidates: string[];
      format: OutputFormat;
      /** --color / --no-color; undefined = decide from the terminal and NO_COLOR. */
      color: boolean | undefined;
      options: CompareOptionsInput;
    };

export const COMPARE_USAGE = `Usage: memray-compare <runA> <runB> [options]
       memray-compare --baseline A1 [A2 ...] --candidate B1 [B2 ...] [options]

Compare memray-cli runs (run directories or summary.json files): runA is the baseline, runB the
candidate. With --baseline/--candidate, each side is several runs of one workload: the medians of the
sides are compared, the spread of a side is the min–max range of its runs, and a candidate median inside
the baseline's spread is never a regression. Exits 1 when the candidate regressed, 0 otherwise, 2 on
bad input.

Options:
  --baseline RUN...        the baseline runs (repeats of one workload: same mode and script)
  --candidate RUN...       the candidate runs (use both flags, or the two positional runs, not both)
  --threshold PCT          growth above PCT percent on a memory metric is a regression (default 20)
  --threshold METRIC=PCT   threshold for one metric (repeatable); also gates duration_seconds and
                           total_allocations, which are informational otherwise
  --allow-failed           a candidate whose run failed (error, non-zero exit code) is compared
                           like any other; without it, the gate fails (exit 1) and says why
  --min-bytes SIZE         changes under SIZE are not flagged and sites changing less are not
                           listed (default 1MiB: changes under 1 MiB are not flagged; accepts
                           1048576, 512KiB, 2MiB, 1GiB)
  --top N                  allocation sites listed per kind: grew, new, shrank, removed (default 10)
  -f, --format FORMAT      text (default), markdown (a pull-request comment) or json
  --color, --no-color      force colours on or off (default: on for a terminal unless NO_COLOR is set)
  -h, --help               show this help
  -V, --version            show the version

In GitHub Actions: with GITHUB_STEP_SUMMARY set, the markdown report is appended to that file; with
GITHUB_OUTPUT set, the outputs regression, max_growth_percent, baseline and candidate are appended.

Metrics: ${COMPARE_METRIC_IDS.join(", ")}`;

const THRESHOLD_RE = /^(?:([A-Za-z_][A-Za-z0-9_]*)=)?(\d+(?:\.\d+)?|\.\d+)%?$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `--threshold` values into the global threshold and per-metric overrides (the last one wins). */
export function parseThresholds(values: readonly string[]): Pick<CompareOptionsInput, "thresholdPct" | "metricThresholds"> {
  let thresholdPct: number | undefined;
  const metricThresholds: Partial<Record<CompareMetricId, number>> = {};
  for (const value of values) {
    const match = THRESHOLD_RE.exec(value.trim());
    if (!match) {
      throw new InvalidThresholdError(value, "expected a percentage (e.g. 20 or 20%) or METRIC=PCT (e.g. rss_delta=30)");
    }
    const pct = Number(match[2]);
    const metric = match[1];
    if (metric === undefined) {
      thresholdPct = pct;
    } else if ((COMPARE_METRIC_IDS as readonly string[]).includes(metric)) {
      metricThresholds[metric as CompareMetricId] = pct;
    } else {
      throw new InvalidThresholdError(value, `unknown metric "${metric}" (expected one of ${COMPARE_METRIC_IDS.join(", ")})`);
    }
  }
  return { ...(thresholdPct === undefined ? {} : { thresholdPct }), metricThresholds };
}

/** "2MiB" → 2097152 (K, M, G and their KB/KiB spellings are all powers of 1024). */
export function parseByteSize(value: string, flag = "--min-bytes"): number {
  const match = SIZE_RE.exec(value.trim());
  if (!match) {
    throw new InvalidOptionError(`${flag}: expected a size in bytes (e.g. 1048576, 512KiB, 2MiB), received "${value}"`);
  }
  const unit = (match[2] ?? "b").toLowerCase()[0]!;
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]!);
}

function parseCount(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidOptionError(`${flag}: expected a whole number >= 0, received "${value}"`);
  }
  return Number(value.trim());
}

type ParseTokens = NonNullable<ReturnType<typeof parseArgs>["tokens"]>;

/**
 * The runs of each side. `--baseline A1 A2 A3` takes the values that follow it up to the next option
 * (as `--baseline A1 --baseline A2` does); without either flag, exactly two positional runs.
 */
function runGroups(tokens: ParseTokens, positionals: readonly string[]): { baselines: string[]; candidates: string[] } {
  const groups = { baseline: [] as string[], candidate: [] as string[] };
  const loose: string[] = [];
  let current: keyof typeof groups | null = null;
  for (const token of tokens) {
    if (token.kind === "option") {
      if (token.name === "baseline" || token.name === "candidate") {
        groups[token.name].push(token.value!);
        current = token.name;
      } else {
        current = null;
      }
    } else if (token.kind === "positional") {
      if (current) groups[current].push(token.value);
      else loose.push(token.value);
    } else {
      current = null;
    }
  }
  const flagged = groups.baseline.length + groups.candidate.length > 0;
  if (!flagged) {
    if (positionals.length !== 2) {
      throw new InvalidOptionError(
        `expected two runs to compare (baseline and candidate), received ${positionals.length}${positionals.length ? `: ${positionals.join(" ")}` : ""}`,
        { hint: "memray-compare runs/baseline-20260315-143022 runs/candidate-20260316-091500, or --baseline A1 A2 A3 --candidate B1 B2 B3" },
      );
    }
    return { baselines: [positionals[0]!], candidates: [positionals[1]!] };
  }
  if (loose.length > 0) {
    throw new InvalidOptionError(
      `--baseline/--candidate: runs given both positionally (${loose.join(" ")}) and with --baseline/--candidate; use one form: <runA> <runB>, or --baseline A1 A2 ... --candidate B1 B2 ...`,
      { hint: "put every run right after --baseline or --candidate (options such as --threshold go before or after the runs)" },
    );
  }
  for (const side of ["baseline", "candidate"] as const) {
    if (groups[side].length === 0) {
      const other = side === "baseline" ? "candidate" : "baseline";
      throw new InvalidOptionError(`--${side}: expected at least one run (given --${other} ${groups[other].join(" ")}), received none`, {
        hint: "memray-compare --baseline A1 A2 A3 --candidate B1 B2 B3",
      });
    }
  }
  return { baselines: groups.baseline, candidates: groups.candidate };
}

/** Parse `memray-compare` / `memray-cli compare` arguments; throws InvalidOptionError / InvalidThresholdError. */
export function parseCompareArgs(argv: readonly string[]): ParsedCompareArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        baseline: { type: "string", multiple: true },
        candidate: { type: "string", multiple: true },
        threshold: { type: "string", multiple: true },
        "min-bytes": { type: "string" },
        top: { type: "string" },
        "allow-failed": { type: "boolean" },
        format: { type: "string", short: "f" },
        color: { type: "boolean" },
        "no-color": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    throw new InvalidOptionError((error as Error).message, { cause: error, hint: "see memray-compare --help" });
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const { baselines, candidates } = runGroups(tokens, positionals);
  const format = values.format ?? "text";
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidOptionError(`--format: expected one of ${OUTPUT_FORMATS.join(", ")}, received "${format}"`);
  }
  if (values.color && values["no-color"]) {
    throw new InvalidOptionError("--color and --no-color: expected at most one of them, received both");
  }
  const options: CompareOptionsInput = { ...parseThresholds(values.threshold ?? []) };
  if (values["min-bytes"] !== undefined) options.minBytes = parseByteSize(values["min-bytes"]);
  if (values.top !== undefined) options.siteLimit = parseCount(values.top, "--top");
  if (values["allow-failed"]) options.allowFailed = true;

  return {
    kind: "compare",
    baseline: baselines[0]!,
    candidate: candidates[0]!,
    baselines,
    candidates,
    format: format as OutputFormat,
    color: values.color ? true : values["no-color"] ? false : undefined,
    options,
  };
}
