/** Seconds from `since` to `now` (both in milliseconds), to 0.01 s: the durations summary.json records. */
export const elapsedSeconds = (since: number, now: number): number => Math.round((now - since) / 10) / 100;

/** Two durations of one collector (its "before" and "after" parts) added, to 0.01 s. */
export const addSeconds = (a: number, b: number): number => Math.round((a + b) * 100) / 100;
