import type { TargetConnection } from "@alpiq/memray-core";
import type { KubeClient } from "./kube-client.js";
import { KubernetesTarget } from "./kubernetes-target.js";
import { createPodSignalsSource } from "./pod-signals-source.js";
import { podService } from "./pod-service.js";
import type { PodTargetParams } from "./pod-ref.js";

/** What every install into a pod is told (the seed's troubleshooting says the same of containers). */
export const MEMRAY_LOST_ON_RESTART =
  "memray was installed into the pod's container filesystem: it is lost when the pod or its container restarts " +
  "(a new pod of the Deployment starts without it). Run the install again after a restart, or add memray to the image.";

/** One Ready pod as a TargetConnection: the target, its service as the spec and pid 1 tell it, how to install there, its namespace's signals. */
export async function connectPod(client: KubeClient, params: PodTargetParams): Promise<TargetConnection> {
  const target = await KubernetesTarget.connect({ client, ref: params.ref, container: params.container });
  const containerFlag = (target.pod.spec?.containers.length ?? 1) > 1 ? ` --container ${target.container}` : "";
  return {
    target,
    label: target.describe(),
    identity: { pod: target.podName, namespace: target.namespace, podContainer: target.container },
    service: () => podService(target),
    installCommand: () =>
      `memray-cli install --target pod/${target.podName} --namespace ${target.namespace}${containerFlag}${params.context ? ` --context ${params.context}` : ""}`,
    installNote: MEMRAY_LOST_ON_RESTART,
    signalsSource: createPodSignalsSource({ client, namespace: target.namespace }),
  };
}
