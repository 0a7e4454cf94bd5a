import { COMPARE_METRIC_IDS, compareMetricIdSchema, InvalidOptionError, type CompareMetricId } from "@alpiq/memray-core";
import { z } from "zod";

export const DEFAULT_THRESHOLD_PCT = 20;
export const DEFAULT_MIN_BYTES = 1024 * 1024;
export const DEFAULT_SITE_LIMIT = 10;

const pct = z.number().finite().nonnegative();

/** Options of compareRuns(); every field has a default. */
export const compareOptionsSchema = z.strictObject({
  /** Growth above this percentage on a memory metric is a regression (default 20). */
  thresholdPct: pct.default(DEFAULT_THRESHOLD_PCT),
  /** Per-metric thresholds; also makes an informational metric (duration, allocation count) gate. */
  metricThresholds: z.partialRecord(compareMetricIdSchema, pct).default({}),
  /** Byte changes smaller than this never flag, and sites changing less are not listed (default 1 MiB). */
  minBytes: z.number().finite().nonnegative().default(DEFAULT_MIN_BYTES),
  /** At most this many sites are listed per category (default 10). */
  siteLimit: z.number().int().nonnegative().default(DEFAULT_SITE_LIMIT),
  /**
   * A candidate whose own run failed (summary.error or a non-zero exit code) fails the gate unless
   * this is set: a crashed build has no memory numbers to regress, and must not pass a CI gate.
   */
  allowFailed: z.boolean().default(false),
});

export type CompareOptionsInput = z.input<typeof compareOptionsSchema>;
export type CompareOptions = z.output<typeof compareOptionsSchema>;

/** Validate compareRuns() options once; the message names the option, what was expected and received. */
export function resolveCompareOptions(input: CompareOptionsInput = {}): CompareOptions {
  const result = compareOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const option = issue.path.join(".") || "options";
  let received: unknown = input;
  for (const key of issue.path) received = (received as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  const hint = issue.path[0] === "metricThresholds" ? `metric ids: ${COMPARE_METRIC_IDS.join(", ")}` : undefined;
  throw new InvalidOptionError(`compare option ${option}: ${issue.message} (received ${JSON.stringify(received)})`, {
    hint,
  });
}

export function thresholdFor(options: CompareOptions, id: CompareMetricId): number {
  return options.metricThresholds[id] ?? options.thresholdPct;
}
