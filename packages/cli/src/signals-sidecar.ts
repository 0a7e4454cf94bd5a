import type { SignalsSource } from "@alpiq/memray-core";
import { createSignalsSidecar, type SignalsSidecar } from "@alpiq/memray-signals";
import type { SignalsChoice } from "./profile-options.js";

/**
 * The signals of a `profile` run: the target's runtime gives its source (a container's Compose
 * project, a pod's namespace: logs, usage, WireMock among them); on this host there is none, and
 * only WireMock applies, when --wiremock names one. Undefined with --no-signals.
 */
export function signalsSidecarFor(choice: SignalsChoice | null, source: SignalsSource<any, any> | undefined): SignalsSidecar | undefined {
  if (!choice) return undefined;
  return createSignalsSidecar({
    source: source ?? null,
    wiremockUrl: choice.wiremockUrl ?? null,
    logsSince: choice.logsSince,
    timeoutSeconds: choice.timeoutSeconds,
  });
}
