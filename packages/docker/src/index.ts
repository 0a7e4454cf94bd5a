// The public API of @alpiq/memray-docker, by name (README.md describes each group). Everything else
// (exec plumbing, stream demuxing, the relay script) is internal.

// Client and containers
export { createDockerClient } from "./docker-client.js";
export {
  resolveContainer,
  listContainerRefs,
  COMPOSE_SERVICE_LABEL,
  COMPOSE_PROJECT_LABEL,
  type ContainerRef,
  type ResolveContainerOptions,
} from "./resolve-container.js";

// The Target, and its provider (also `@alpiq/memray-docker/provider`, which loads nothing until it connects)
export { DockerTarget, type DockerTargetConnectOptions } from "./docker-target.js";
export { dockerTargetProvider, type DockerTargetParams, type DockerTargetProviderOptions } from "./docker-provider.js";
export { connectContainer, MEMRAY_LOST_ON_RECREATE } from "./docker-connection.js";

// Signals: the Docker signals source (core's SignalsSource, for @alpiq/memray-signals' sidecar) and its collectors
export { createDockerSignalsSource, type DockerSignalsSourceOptions, type DockerSignalsUnit } from "./docker-signals-source.js";
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
export { collectContainerLogs, type ContainerLogsOptions, type ContainerLogResult } from "./container-logs.js";
export {
  snapshotContainerStats,
  computeContainerStats,
  type ContainerStats,
  type ContainerStatsEntry,
  type DockerStatsResponse,
  type StatsSnapshot,
  type StatsReadings,
  type CpuReading,
} from "./container-stats.js";
export { DockerLogDemuxer } from "./docker-log-demuxer.js";
export { bytesSize, humanSize, parseDockerSize } from "./docker-units.js";

// Errors
export {
  EngineUnavailableError,
  ContainerNotFoundError,
  ContainerNotRunningError,
  AmbiguousContainerError,
  ContainerSignalError,
  type ContainerSummaryLine,
} from "./errors.js";
