export { DockerTarget, PYTHON_CANDIDATES, type DockerTargetConnectOptions, type DetectedApp, type DetectedServicePort } from "./docker-target.js";
export { createDockerClient, dockerOptionsFromEnv, describeDockerEndpoint, DEFAULT_DOCKER_SOCKET } from "./docker-client.js";
export {
  resolveContainer,
  matchContainer,
  listContainerRefs,
  COMPOSE_SERVICE_LABEL,
  COMPOSE_PROJECT_LABEL,
  type ContainerRef,
  type MatchKind,
  type ResolveContainerOptions,
} from "./resolve-container.js";
export { startExec, execExitCode, type StartExecOptions, type StartedExec } from "./docker-exec.js";
export { DockerStreamDemuxer } from "./docker-stream-demuxer.js";
export { forwardPort, type ForwardPortOptions, type PortForward } from "./forward-port.js";
export { RELAY_SCRIPT } from "./relay-script.js";
export {
  installMemray,
  HOST_CA_BUNDLE,
  type InstallMemrayOptions,
  type InstallMemrayResult,
  type InstallProgress,
} from "./install-memray.js";
export { buildWheelhouse, type BuildWheelhouseOptions, type Wheelhouse } from "./build-wheelhouse.js";
export { parseServiceCommand, parseBind, envListToRecord, type ServiceCommand } from "./service-command.js";
export { chooseServicePort, tcpPorts, PORT_PRESETS, type ServicePortInput, type ServicePort, type ServicePortSource } from "./service-port.js";
export { tokenizeShell, splitShellWords, splitShellCommands, type ShellToken } from "./shell-words.js";
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
  formatContainerList,
  type ContainerSummaryLine,
} from "./errors.js";
