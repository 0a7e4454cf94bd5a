// The public API of @alpiq/memray-signals, by name (README.md describes each export).

// The sidecar a profiling run takes (core's RunSidecar)
export {
  createSignalsSidecar,
  signalsSections,
  DEFAULT_LOGS_SINCE,
  DEFAULT_SIGNALS_TIMEOUT_SECONDS,
  type SignalsSidecar,
  type SignalsSidecarOptions,
  type SignalsProgressEvent,
  type SignalsPortForward,
  type WireMockSignal,
  type ContainerLogsSignal,
  type ContainerStatsSignal,
} from "./signals-sidecar.js";
export { describeSignals } from "./signals-line.js";

// The parts the sidecars share (this package's and @alpiq/memray-kubernetes's pod sidecar)
export { createWireMockCollector, type WireMockCollector, type WireMockCollectorOptions, type WireMockDiscovery } from "./wiremock-collector.js";
export { takeStatsBefore, writeStatsBefore, type StatsBefore } from "./stats-before.js";

// Collectors, usable alone
export { resetWireMockJournal, dumpWireMockJournal, normalizeWireMockUrl, WIREMOCK_REQUESTS_FILE, WIREMOCK_UNMATCHED_FILE, type WireMockDump, type WireMockCallOptions } from "./wiremock-journal.js";
export { collectContainerLogs, type ContainerLogsOptions, type ContainerLogResult } from "./container-logs.js";
export {
  snapshotContainerStats,
  computeContainerStats,
  writeStatsSnapshot,
  statsFileName,
  type ContainerStats,
  type ContainerStatsEntry,
  type DockerStatsResponse,
  type StatsSnapshot,
  type StatsReadings,
  type CpuReading,
} from "./container-stats.js";
export { DockerLogDemuxer } from "./docker-log-demuxer.js";

// Which containers, and where WireMock is
export {
  discoverStackContainers,
  findWireMock,
  logFileName,
  composeProjectOf,
  type SignalsDockerClient,
  type SignalsTarget,
  type StackContainer,
  type ContainerPort,
  type WireMockLocation,
} from "./stack-discovery.js";

// Options and formatting helpers
export { parseSince, parseDurationMs, toDockerTimestamp, SINCE_EXPECTED } from "./since.js";
export { withTimeout } from "./with-timeout.js";
export { bytesSize, humanSize, parseDockerSize } from "./docker-units.js";

// Errors (recorded in summary.json, never thrown out of the sidecar)
export { SignalError, WireMockError, CollectorTimeoutError, ContainerSignalError, SignalWriteError, describeSignalError, type SignalName } from "./errors.js";
