// The public API of @alpiq/memray-docker, by name (README.md describes each group). Everything else
// (exec plumbing, stream demuxing, the relay script, the shell tokenizer) is internal.

// Client and containers
export { createDockerClient } from "./docker-client.js";
export { resolveContainer, listContainerRefs, type ContainerRef, type ResolveContainerOptions } from "./resolve-container.js";

// The Target
export { DockerTarget, type DockerTargetConnectOptions } from "./docker-target.js";

// What the container serves
export {
  findPython,
  detectApp,
  detectServicePort,
  requireServicePort,
  containerWorkingDir,
  findServicePython,
  detectServiceApp,
  type ServiceProcess,
  type InspectedContainer,
  type DetectedApp,
  type DetectedServicePort,
  type ServicePortOptions,
} from "./container-inspection.js";
export { chooseServicePort, type ServicePortSource, type ServicePortInput } from "./service-port.js";
// The command-line reader behind detectApp, for other targets (a pod's command + args)
export { parseServiceCommand, type ServiceCommand } from "./service-command.js";

// Ports and installs
export { forwardPort, type ForwardPortOptions, type PortForward } from "./forward-port.js";
export { installMemray, type InstallMemrayOptions, type InstallMemrayResult, type InstallProgress } from "./install-memray.js";
export { buildWheelhouse, type BuildWheelhouseOptions, type Wheelhouse } from "./build-wheelhouse.js";
export type { HostCommandRunner, HostCommandResult } from "./host-command.js";

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
export { snapshotContainerStats, computeContainerStats, type ContainerStats, type ContainerStatsEntry, type DockerStatsResponse, type StatsSnapshot, type StatsReadings, type CpuReading } from "./container-stats.js";
export { DockerLogDemuxer } from "./docker-log-demuxer.js";
export { bytesSize, humanSize, parseDockerSize } from "./docker-units.js";

// Errors
export {
  EngineUnavailableError,
  ContainerNotFoundError,
  ContainerNotRunningError,
  AmbiguousContainerError,
  PortNotDetectableError,
  AppNotFoundError,
  DockerExecError,
  CopyFailedError,
  PortForwardError,
  InstallFailedError,
  WheelhouseBuildError,
  ContainerSignalError,
  type ContainerSummaryLine,
  type DockerErrorOptions,
} from "./errors.js";
