import { setMaxListeners } from "node:events";
import { CollectorTimeoutError, type SignalName } from "./errors.js";

/** After the deadline, how long a collector gets to wind down and report what it has. */
const GRACE_MS = 2000;

/**
 * Run `work` with an AbortSignal that aborts after `seconds` (reason: CollectorTimeoutError). An
 * abort-aware collector then stops its streams and resolves with its partial results (or rejects with
 * the reason); one that ignores the signal is abandoned GRACE_MS later with CollectorTimeoutError.
 */
export async function withTimeout<T>(collector: SignalName, seconds: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one signal for every request of a collector (20+ containers)
  let deadline: NodeJS.Timeout | undefined;
  let abandon: NodeJS.Timeout | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => {
      const reason = new CollectorTimeoutError(collector, seconds);
      controller.abort(reason);
      abandon = setTimeout(() => reject(reason), GRACE_MS);
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work(controller.signal), abandoned]);
  } finally {
    clearTimeout(deadline);
    clearTimeout(abandon);
  }
}
