/**
 * Failures of signal collection. They never fail a run and never become exit codes: a collector
 * catches them and records `error` (the message) in summary.json's `signals`. So they are plain
 * Errors with structured fields, not core MemrayErrors (whose codes map to exit codes).
 */

export type SignalName = "wiremock" | "container_logs" | "container_stats";

/** Base of every signals error: which collector failed, and the original error as `cause`. */
export class SignalError extends Error {
  constructor(
    readonly collector: SignalName,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** WireMock did not answer (refused, DNS, reset) or answered something that is not its admin API. */
export class WireMockError extends SignalError {
  constructor(
    readonly url: string,
    readonly operation: "reset" | "dump" | "dump-unmatched",
    readonly reason: "unreachable" | "status" | "not-wiremock",
    message: string,
    readonly status: number | null = null,
    cause?: unknown,
  ) {
    super("wiremock", message, { cause });
  }
}

/** A collector (or one container of it) did not finish within its timeout. */
export class CollectorTimeoutError extends SignalError {
  constructor(
    collector: SignalName,
    readonly seconds: number,
  ) {
    super(collector, `timed out after ${seconds} s (raise --signals-timeout)`);
  }
}

/** The host side of a collector failed (run directory not writable, disk full). */
export class SignalWriteError extends SignalError {
  constructor(
    collector: SignalName,
    readonly file: string,
    cause: unknown,
  ) {
    super(collector, `could not write ${file}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** One line for summary.json: the message, with the cause's code when it says more (ECONNREFUSED). */
export { describeSignalError } from "@alpiq/memray-core";
