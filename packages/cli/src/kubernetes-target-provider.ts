import { AppNotFoundError } from "@alpiq/memray-docker";
import {
  createPodSignalsSource,
  detectPodApp,
  detectPodServicePort,
  findPodPython,
  forwardPodPort,
  KubernetesTarget,
  podServiceProcess,
  type KubeClient,
  type KubeClientOptions,
} from "@alpiq/memray-kubernetes";
import type { TargetProvider } from "./target-provider.js";

/** Builds the client for a choice's --context/--namespace (deps.ts passes createKubeClient with the environment). */
export type KubeClientFactory = (options: Pick<KubeClientOptions, "context" | "namespace">) => KubeClient;

/**
 * Pods: `pod/NAME`, `deploy/NAME` or `-l SELECTOR` resolved to one Ready pod through the API; the
 * interpreter is the one the container's command runs under; the app and port come from its command,
 * args and containerPorts unless --app / --port say otherwise. Live ports are forwarded with the API's
 * port-forward; the signals are the pod's namespace's (logs, usage, WireMock through a port-forward).
 */
export function kubernetesTargetProvider(connect: KubeClientFactory): TargetProvider {
  return {
    async resolve(choice, needs) {
      if (choice.kind !== "kubernetes") throw new RangeError("kubernetesTargetProvider handles pod/NAME, deploy/NAME and -l only");
      const client = connect({ context: choice.context, namespace: choice.namespace });
      const target = await KubernetesTarget.connect({ client, ref: choice.ref, container: choice.container });
      const signalsSource = createPodSignalsSource({ client, namespace: target.namespace });
      needs.onConnected?.({ signalsSource });
      const service = await podServiceProcess(target);
      const python = needs.python ?? (await findPodPython(target, service));
      target.python = python;
      let app = needs.app;
      let appDir: string | undefined;
      if (needs.needApp !== "none" && !app) {
        const detected = await detectPodApp(target, service).catch((error: unknown) => {
          if (needs.needApp === "optional" && error instanceof AppNotFoundError) return undefined;
          throw error;
        });
        app = detected?.app;
        appDir = detected?.appDir;
      } else if (app) {
        appDir = service.workingDir;
      }
      const servicePort = detectPodServicePort(target, { portOverride: needs.port ?? null, service })?.port;
      const containerFlag = (target.pod.spec?.containers.length ?? 1) > 1 ? ` --container ${target.container}` : "";
      return {
        target,
        python,
        app,
        appDir,
        servicePort,
        memrayInstallHint: `memray-cli install --target pod/${target.podName} --namespace ${target.namespace}${containerFlag}${choice.context ? ` --context ${choice.context}` : ""}`,
        forwardPort: (podPort, hostPort) => forwardPodPort({ client, pod: target.location, podPort, hostPort, ifTaken: "any" }),
        signalsSource,
      };
    },
  };
}
