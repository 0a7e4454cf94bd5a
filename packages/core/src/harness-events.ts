import { createLineSplitter, type LineSplitter } from "./line-splitter.js";

/**
 * One progress event the harness prints on stderr (docs/harness-protocol.md "Progress events"):
 * `step` {step, message}, `report` {name, ok, seconds, error}, `live` {live_port, service_port},
 * `warning` {message}, `workload-done`, `error` {code, message}, `end` {exit_code} (the harness finished: its
 * last line). Kept open: newer harnesses may add events and fields.
 */
export type HarnessEvent = { event: string } & Record<string, unknown>;

export const HARNESS_EVENT_PREFIX = "@memray-harness ";

/**
 * Splits the harness's stderr into lines; event lines go to `onEvent`, everything else (the
 * workload's own output) to `onLine`. Call `flush()` at the end.
 */
export function createHarnessStderrParser(onEvent: (event: HarnessEvent) => void, onLine: (line: string) => void): LineSplitter {
  return createLineSplitter((line) => {
    // An event may follow a partial line the workload left without its newline: that part is output.
    const at = line.lastIndexOf(HARNESS_EVENT_PREFIX);
    if (at >= 0) {
      try {
        const parsed = JSON.parse(line.slice(at + HARNESS_EVENT_PREFIX.length)) as HarnessEvent;
        if (parsed && typeof parsed.event === "string") {
          if (at > 0) onLine(line.slice(0, at));
          return onEvent(parsed);
        }
      } catch {
        // Not valid JSON: ordinary output.
      }
    }
    onLine(line);
  });
}
