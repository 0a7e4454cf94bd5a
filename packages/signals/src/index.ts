// The public API of @alpiq/memray-signals, by name (README.md describes each export).

// The sidecar a profiling run takes (core's RunSidecar), over a runtime's SignalsSource (core)
export {
  createSignalsSidecar,
  signalsSections,
  DEFAULT_LOGS_SINCE,
  DEFAULT_SIGNALS_TIMEOUT_SECONDS,
  type SignalsSidecar,
  type SignalsSidecarOptions,
} from "./signals-sidecar.js";
export type { SignalsProgressEvent, WireMockSignal, ContainerLogsSignal, ContainerStatsSignal } from "./signal-types.js";
export { describeSignals } from "./signals-line.js";

// The WireMock journal, usable alone
export {
  resetWireMockJournal,
  dumpWireMockJournal,
  normalizeWireMockUrl,
  WIREMOCK_REQUESTS_FILE,
  WIREMOCK_UNMATCHED_FILE,
  type WireMockDump,
  type WireMockCallOptions,
} from "./wiremock-journal.js";

// Options helpers
export { parseSince, parseDurationMs, SINCE_EXPECTED } from "./since.js";
export { withTimeout } from "./with-timeout.js";

// Errors (recorded in summary.json, never thrown out of the sidecar)
export { SignalError, WireMockError, CollectorTimeoutError, SignalWriteError, describeSignalError, type SignalName } from "./errors.js";
