/** The signals a user stops a run with: Ctrl-C (SIGINT), and SIGTERM (as `timeout` sends). */
export type InterruptSignal = "SIGINT" | "SIGTERM";

/**
 * Where a long operation hears that the user wants it to stop. The CLI feeds it from the process's
 * signals; a library caller can feed it from anything. The first signal asks the run to stop
 * gracefully (everything measured is kept), a second abandons the reports, a third stops at once.
 */
export class InterruptChannel {
  private readonly listeners = new Set<(signal: InterruptSignal) => void>();
  readonly received: InterruptSignal[] = [];

  emit(signal: InterruptSignal): void {
    this.received.push(signal);
    for (const listener of [...this.listeners]) listener(signal);
  }

  /** Listen from now on; returns the unsubscribe function. */
  subscribe(listener: (signal: InterruptSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The exit code of a run stopped by `signal` (130 for Ctrl-C, 143 for SIGTERM). */
export function interruptCode(signal: InterruptSignal): "INTERRUPTED" | "TERMINATED" {
  return signal === "SIGTERM" ? "TERMINATED" : "INTERRUPTED";
}
