/** The nine user-facing profiling modes (DESIGN.md "The nine modes"). */
export const MODES = [
  "snapshot",
  "endpoint",
  "script",
  "live-web",
  "live-remote",
  "stats",
  "leaks",
  "objects",
  "sequence",
] as const;

export type Mode = (typeof MODES)[number];

export const LIVE_MODES: readonly Mode[] = ["live-web", "live-remote"];

export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}
