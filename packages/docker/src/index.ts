// The public API of @alpiq/memray-docker, by name (README.md describes each group). Everything else
// (exec plumbing, stream demuxing, the relay script, command-line parsers) is internal.

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
  type InspectedContainer,
  type DetectedApp,
  type DetectedServicePort,
  type ServicePortOptions,
} from "./container-inspection.js";
export type { ServicePortSource } from "./service-port.js";

// Ports and installs
export { forwardPort, type ForwardPortOptions, type PortForward } from "./forward-port.js";
export { installMemray, type InstallMemrayOptions, type InstallMemrayResult, type InstallProgress } from "./install-memray.js";
export { buildWheelhouse, type BuildWheelhouseOptions, type Wheelhouse } from "./build-wheelhouse.js";
export type { HostCommandRunner, HostCommandResult } from "./host-command.js";

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
  type ContainerSummaryLine,
  type DockerErrorOptions,
} from "./errors.js";
