import { createSignalsSidecar, type SignalsSidecar } from "@alpiq/memray-signals";
import type { SignalsChoice } from "./profile-options.js";
import type { ResolvedTarget } from "./target-provider.js";

/**
 * The signals of a `profile` run: on a container, WireMock (given or found in its Compose project), the
 * project's logs and stats; on a pod, the target's own (its namespace's logs and usage); on this host, only WireMock when --wiremock names one (the container
 * collectors are recorded as skipped). Undefined with --no-signals.
 */
export function signalsSidecarFor(choice: SignalsChoice | null, resolved: Pick<ResolvedTarget, "signals" | "signalsSidecar">): SignalsSidecar | undefined {
  if (!choice) return undefined;
  if (resolved.signalsSidecar) return resolved.signalsSidecar(choice);
  return createSignalsSidecar({
    docker: resolved.signals?.docker ?? null,
    target: resolved.signals?.target ?? null,
    openPortForward: resolved.signals?.openPortForward,
    wiremockUrl: choice.wiremockUrl ?? null,
    logsSince: choice.logsSince,
    timeoutSeconds: choice.timeoutSeconds,
  });
}
