import { installMemray, type InstallMemrayOptions, type InstallMemrayResult } from "@alpiq/memray-docker";
import type { KubernetesTarget } from "./kubernetes-target.js";
import { findPodPython } from "./pod-inspection.js";

/** What every install into a pod is told (the seed's troubleshooting says the same of containers). */
export const MEMRAY_LOST_ON_RESTART =
  "memray was installed into the pod's container filesystem: it is lost when the pod or its container restarts " +
  "(a new pod of the Deployment starts without it). Run the install again after a restart, or add memray to the image.";

export interface InstallMemrayInPodOptions extends Omit<InstallMemrayOptions, "target"> {
  target: KubernetesTarget;
}

/**
 * memray into the Python the pod's service runs under (found as for containers unless `python` is
 * given): the docker package's installMemray over the pod's exec and tar copy, so it is the same
 * idempotent install, online (pip in the pod, the host's CA bundle handed over) or offline from a
 * host wheelhouse copied in. `note` says it does not survive a restart.
 */
export async function installMemrayInPod(options: InstallMemrayInPodOptions): Promise<InstallMemrayResult & { note: string }> {
  const python = options.python ?? (await findPodPython(options.target));
  options.target.python ??= python;
  const result = await installMemray({ ...options, python });
  return { ...result, note: MEMRAY_LOST_ON_RESTART };
}
