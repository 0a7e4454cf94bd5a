import { describeSignalError, type SignalsPortForward, type WireMockDiscovery } from "@alpiq/memray-core";
import createDebug from "debug";
import { addSeconds, elapsedSeconds } from "./elapsed.js";
import type { SignalsProgressEvent, WireMockSignal } from "./signal-types.js";
import { dumpWireMockJournal, normalizeWireMockUrl, resetWireMockJournal } from "./wiremock-journal.js";
import { withTimeout } from "./with-timeout.js";

const debug = createDebug("memray:signals");

export interface WireMockCollectorOptions {
  /** --wiremock URL; when given, discovery is not asked. */
  wiremockUrl?: string | null | undefined;
  /** Bound on each step (forward, reset, dump), seconds. */
  timeoutSeconds: number;
  fetch?: typeof fetch | undefined;
  /** Milliseconds, for the durations. */
  clock: () => number;
  progress: (phase: SignalsProgressEvent["phase"], status: SignalsProgressEvent["status"], message: string) => void;
}

/** The WireMock signal of one run: locate (prepare; the --wiremock URL, else what the source found), reset the journal (before), dump it (after), close the forward. */
export interface WireMockCollector {
  locate(discover: () => WireMockDiscovery): Promise<void>;
  reset(): Promise<void>;
  dump(dir: string): Promise<WireMockSignal>;
  close(): Promise<void>;
}

interface WireMockState {
  signal: WireMockSignal;
  url: string | null;
  forward?: SignalsPortForward;
}

export function createWireMockCollector(options: WireMockCollectorOptions): WireMockCollector {
  const { timeoutSeconds, clock, progress } = options;
  let state: WireMockState | undefined;
  /** reset() ran: the journal was reset (or its failure recorded) just before the workload. */
  let resetRan = false;

  async function find(discover: () => WireMockDiscovery): Promise<WireMockState> {
    const base = { files: [] as string[], duration_seconds: null, error: null, reason: null, url: null, requests: null, unmatched: null };
    if (options.wiremockUrl) {
      try {
        const url = normalizeWireMockUrl(options.wiremockUrl);
        return { url, signal: { ...base, status: "ok", url, source: "option" } };
      } catch (error) {
        return { url: null, signal: { ...base, status: "failed", error: `--wiremock ${describeSignalError(error)}`, source: "option" } };
      }
    }
    const found = discover();
    if ("status" in found) {
      if (found.status === "skipped") return { url: null, signal: { ...base, status: "skipped", reason: found.reason } };
      const where = found.container ? { source: "discovered" as const, container: found.container } : {};
      return { url: null, signal: { ...base, ...where, status: "failed", error: found.error } };
    }
    const discovered = { ...base, source: "discovered" as const, container: found.container };
    if ("url" in found) return { url: found.url, signal: { ...discovered, status: "ok", url: found.url } };
    try {
      const forward = await withTimeout("wiremock", timeoutSeconds, () => found.openForward());
      return { url: forward.url, forward, signal: { ...discovered, status: "ok", url: forward.url } };
    } catch (error) {
      return { url: null, signal: { ...discovered, status: "failed", error: `could not forward ${found.address} to the host: ${describeSignalError(error)}` } };
    }
  }

  return {
    async locate(discover) {
      state = await find(discover);
    },

    async reset() {
      resetRan = true;
      const current = state!;
      if (current.signal.status !== "ok" || !current.url) return progress("before", current.signal.status, current.signal.error ?? current.signal.reason ?? "");
      const t0 = clock();
      try {
        await withTimeout("wiremock", timeoutSeconds, (signal) => resetWireMockJournal(current.url!, { fetch: options.fetch, signal }));
        progress("before", "ok", `journal of ${current.url} reset`);
      } catch (error) {
        current.signal = { ...current.signal, status: "failed", error: `reset: ${describeSignalError(error)}` };
        progress("before", "failed", current.signal.error!);
      }
      current.signal.duration_seconds = elapsedSeconds(t0, clock());
    },

    async dump(dir) {
      if (!resetRan || !state) {
        return {
          files: [],
          duration_seconds: null,
          error: "the journal was not reset before the workload (before() never ran)",
          reason: null,
          status: "failed",
        };
      }
      const current = state;
      const signal = { ...current.signal };
      if (signal.status !== "ok" || !current.url) return signal;
      const t0 = clock();
      try {
        const dump = await withTimeout("wiremock", timeoutSeconds, (abort) => dumpWireMockJournal(current.url!, dir, { fetch: options.fetch, signal: abort }));
        Object.assign(signal, { files: dump.files, requests: dump.requests, unmatched: dump.unmatched });
        progress("after", "ok", `${dump.requests ?? "?"} requests, ${dump.unmatched ?? "?"} unmatched`);
      } catch (error) {
        Object.assign(signal, { status: "failed", error: `dump: ${describeSignalError(error)}` });
        progress("after", "failed", signal.error!);
      }
      signal.duration_seconds = addSeconds(signal.duration_seconds ?? 0, elapsedSeconds(t0, clock()));
      return signal;
    },

    async close() {
      await state?.forward?.close().catch((error) => debug("closing the WireMock forward: %O", error));
    },
  };
}
