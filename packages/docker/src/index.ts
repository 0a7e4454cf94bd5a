// The public API of @alpiq/memray-docker, by name (README.md describes each group). Everything else
// (exec plumbing, stream demuxing, the relay script) is internal.

// Client and containers
export { createDockerClient } from "./docker-client.js";
export { resolveContainer, listContainerRefs, COMPOSE_SERVICE_LABEL, COMPOSE_PROJECT_LABEL, type ContainerRef, type ResolveContainerOptions } from "./resolve-container.js";

// The Target, and its provider (also `@alpiq/memray-docker/provider`, which loads nothing until it connects)
export { DockerTarget, type DockerTargetConnectOptions } from "./docker-target.js";
export { dockerTargetProvider, type DockerTargetParams, type DockerTargetProviderOptions } from "./docker-provider.js";
export { connectContainer, MEMRAY_LOST_ON_RECREATE } from "./docker-connection.js";

// Errors
export {
  EngineUnavailableError,
  ContainerNotFoundError,
  ContainerNotRunningError,
  AmbiguousContainerError,
  type ContainerSummaryLine,
} from "./errors.js";
