/** Process exit codes of every memray-cli command (DESIGN.md "CLI contract"). */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Done, but the workload failed (or, for compare, a regression was found). */
  WorkloadFailed: 1,
  /** Bad usage or bad input. */
  Usage: 2,
  /** The target or its environment is unusable: no engine, no container, no Python, no memray. */
  Environment: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
