// The public API of @alpiq/memray-kubernetes, by name (README.md describes each group). Everything else
// (the channel protocol, tar over exec, the WebSocket plumbing) is internal.

// Client
export { createKubeClient, type KubeClient, type KubeClientOptions } from "./kube-client.js";

// Pods
export { parsePodTarget, isPodTarget, describePodRef, type PodRef, type PodTargetParams } from "./pod-ref.js";
export { kubernetesTargetProvider, type PodTargetProviderOptions } from "./pod-provider.js";
export { connectPod, MEMRAY_LOST_ON_RESTART } from "./pod-connection.js";
export {
  resolvePod,
  isReady,
  ownerOf,
  podSummary,
  labelSelectorString,
  DEFAULT_CONTAINER_ANNOTATION,
  type ResolvePodOptions,
  type ResolvedPod,
} from "./resolve-pod.js";

// The Target
export { KubernetesTarget, type KubernetesTargetConnectOptions } from "./kubernetes-target.js";
export { execInPod, type PodExecOptions, type PodExecResult } from "./pod-exec.js";

// What the pod serves (for core's service detection)
export { podService, type InspectedPod } from "./pod-service.js";

// Ports
export { forwardPodPort, type ForwardPodPortOptions } from "./forward-pod-port.js";

// Signals: the pod signals source (core's SignalsSource, for @alpiq/memray-signals' sidecar) and its collectors
export {
  createPodSignalsSource,
  findPodWireMock,
  measurablePods,
  type PodSignalsSourceOptions,
  type PodSignalsUnit,
  type PodWireMockLocation,
} from "./pod-signals-source.js";
export { collectPodLogs, podLogSources, type PodLogSource, type PodLogResult, type PodLogsOptions } from "./pod-logs.js";
export {
  snapshotPodMetrics,
  usageOf,
  parseQuantity,
  parseCpuMillicores,
  MetricsUnavailableError,
  type PodMetricsSnapshot,
  type PodMetricsItem,
  type PodUsage,
} from "./pod-metrics.js";

// Errors
export {
  KubernetesUnavailableError,
  KubernetesForbiddenError,
  PodNotFoundError,
  PodNotReadyError,
  podPlace,
  describePod,
  type PodLocation,
  type PodSummaryLine,
} from "./errors.js";
