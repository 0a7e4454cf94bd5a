import type { SignalsSource } from "@alpiq/memray-core";
import { containerWorkingDir, createDockerSignalsSource, detectApp, detectServicePort, DockerTarget, findPython, forwardPort, listContainerRefs, AppNotFoundError } from "@alpiq/memray-docker";
import type Docker from "dockerode";
import type { TargetProvider } from "./target-provider.js";

/**
 * Containers: resolve by name, id prefix or Compose service; the interpreter is the one the
 * container's own command uses; the app and port come from the container's command line unless
 * --app / --port say otherwise.
 */
export function dockerTargetProvider(docker: Docker): TargetProvider {
  return {
    async resolve(choice, needs) {
      if (choice.kind !== "docker") throw new RangeError("dockerTargetProvider handles --target only");
      const target = await DockerTarget.connect({ docker, container: choice.container });
      const signalsSource = dockerSignalsSource(docker, target);
      needs.onConnected?.({ signalsSource });
      const python = needs.python ?? (await findPython(target));
      let app = needs.app;
      let appDir: string | undefined;
      if (needs.needApp !== "none" && !app) {
        const detected = await detectApp(target).catch((error: unknown) => {
          if (needs.needApp === "optional" && error instanceof AppNotFoundError) return undefined;
          throw error;
        });
        app = detected?.app;
        appDir = detected?.appDir;
      } else if (app) {
        appDir = containerWorkingDir(target.info);
      }
      // Best effort, for summary.target.service_port: the in-process server never needs it.
      const servicePort = (await detectServicePort(target, { portOverride: needs.port ?? null }))?.port;
      return {
        target,
        python,
        app,
        appDir,
        servicePort,
        memrayInstallHint: `memray-cli install --target ${target.name}`,
        forwardPort: (containerPort, hostPort) => forwardPort({ target, containerPort, hostPort, ifTaken: "any", python }),
        signalsSource,
      };
    },
  };
}

/** The signals source of the target's Compose project, reaching a container port that is not published through an exec relay. */
function dockerSignalsSource(docker: Docker, target: DockerTarget): SignalsSource {
  return createDockerSignalsSource({
    docker,
    target: { id: target.id, name: target.name, labels: target.info.Config?.Labels ?? {} },
    async openPortForward(container, containerPort) {
      const other = await DockerTarget.connect({ docker, container: container.id });
      const forward = await forwardPort({ target: other, containerPort, python: await findPython(other) });
      return { url: `http://127.0.0.1:${forward.hostPort}`, close: () => forward.close() };
    },
  });
}

/** Names of running containers, for the menu; empty when no engine answers. */
export async function runningContainerNames(docker: Docker): Promise<string[]> {
  try {
    return (await listContainerRefs(docker)).filter((ref) => ref.state === "running").map((ref) => ref.name).sort();
  } catch {
    return [];
  }
}
