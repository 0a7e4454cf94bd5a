/** Progress events the harness prints on stderr (docs/harness-protocol.md "Progress events"). */
/**
 * One event: `step` {step, message}, `report` {name, ok, seconds, error}, `live` {live_port,
 * service_port}, `warning` {message}. Kept open: newer harnesses may add events and fields.
 */
export type HarnessEvent = { event: string } & Record<string, unknown>;

export const HARNESS_EVENT_PREFIX = "@memray-harness ";

/**
 * Splits a stream of stderr chunks into lines; event lines go to `onEvent`, everything else
 * (the workload's own output) to `onLine`. Call `flush()` at the end.
 */
export function createHarnessStderrParser(
  onEvent: (event: HarnessEvent) => void,
  onLine: (line: string) => void,
): { push(chunk: string): void; flush(): void } {
  let pending = "";
  const handle = (line: string) => {
    if (line.startsWith(HARNESS_EVENT_PREFIX)) {
      try {
        const parsed = JSON.parse(line.slice(HARNESS_EVENT_PREFIX.length)) as HarnessEvent;
        if (parsed && typeof parsed.event === "string") return onEvent(parsed);
      } catch {
        // Not valid JSON: treat as ordinary output.
      }
    }
    onLine(line);
  };
  return {
    push(chunk) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) handle(line.replace(/\r$/, ""));
    },
    flush() {
      if (pending) handle(pending);
      pending = "";
    },
  };
}
