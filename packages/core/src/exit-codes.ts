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
  /** Stopped by Ctrl-C (SIGINT); what was measured is kept. */
  Interrupted: 130,
  /** Stopped by SIGTERM (e.g. `timeout`); what was measured is kept. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
