/**
 * `--logs-since`: what `docker logs --since` takes. A Go duration (`5m`, `90s`, `1h30m`, `1.5h`, `250ms`)
 * counted back from now, an RFC 3339 / ISO 8601 time (`2026-03-15T14:30:22Z`), or Unix seconds
 * (`1773585022`, `1773585022.5`).
 */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const UNIX = /^\d{9,11}(?:\.\d{1,9})?$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const SINCE_EXPECTED = "expects a duration such as 5m, 90s or 1h30m, an ISO 8601 time, or Unix seconds";

/** Milliseconds of a Go-style duration, or null when `value` is not one. */
export function parseDurationMs(value: string): number | null {
  const text = value.trim();
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const match of text.matchAll(DURATION_PART)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}

/** The start of the window `value` describes, relative to `now`; throws RangeError when malformed or in the future. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const text = value.trim();
  const duration = parseDurationMs(text);
  let date: Date;
  if (duration !== null) date = new Date(now.getTime() - duration);
  else if (UNIX.test(text)) date = new Date(Number(text) * 1000);
  else if (ISO.test(text)) date = new Date(text);
  else throw new RangeError(`${SINCE_EXPECTED}, received ${JSON.stringify(value)}`);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${SINCE_EXPECTED}, received ${JSON.stringify(value)}`);
  if (date.getTime() > now.getTime()) throw new RangeError(`is in the future (${date.toISOString()}); ${SINCE_EXPECTED}`);
  return date;
}
