import { InvalidOptionError, type TargetConnection, type TargetProvider } from "@alpiq/memray-core";
import type { KubeClient, KubeClientOptions } from "./kube-client.js";
import { describePodRef, isPodTarget, parsePodTarget, type PodRef, type PodTargetParams } from "./pod-ref.js";

export interface PodTargetProviderOptions {
  /** The API client for a --context/--namespace, made on first use (nothing of @kubernetes/client-node loads before). */
  client: (options: Pick<KubeClientOptions, "context" | "namespace">) => Promise<KubeClient>;
}

/**
 * Kubernetes pods: `--target pod/NAME`, `--target deploy/NAME` (one Ready pod of it) or `-l SELECTOR`,
 * with `--namespace`, `--container` and `--context`. Recognising loads nothing (this file imports only
 * the reference parser); connecting loads the client and resolves one Ready pod through the API.
 */
export function kubernetesTargetProvider(options: PodTargetProviderOptions): TargetProvider<PodTargetParams> {
  return {
    kind: "kubernetes",
    syntax: (label) => `${label("target")} pod/NAME, ${label("target")} deploy/NAME or ${label("selector")} SELECTOR`,
    fields: ["selector", "namespace", "container", "context"],
    parse(spec, label) {
      const named = spec.target !== undefined && isPodTarget(spec.target);
      if (!named && spec.selector === undefined) return null;
      if (spec.target !== undefined && spec.selector !== undefined) {
        throw new InvalidOptionError(`${label("target")} and ${label("selector")} exclude each other: name the pod one way`);
      }
      let ref: PodRef;
      try {
        ref = named ? parsePodTarget(spec.target!)! : { kind: "selector", selector: spec.selector! };
      } catch (error) {
        throw new InvalidOptionError(`${label("target")} ${(error as Error).message}`);
      }
      return { ref, namespace: spec.namespace, container: spec.container, context: spec.context };
    },
    describe: (params) =>
      `${describePodRef(params.ref)}${params.namespace ? ` in namespace ${params.namespace}` : ""}${params.context ? ` (context ${params.context})` : ""}`,
    async connect(params): Promise<TargetConnection> {
      const [{ connectPod }, client] = await Promise.all([
        import("./pod-connection.js"),
        options.client({ context: params.context, namespace: params.namespace }),
      ]);
      return connectPod(client, params);
    },
  };
}
