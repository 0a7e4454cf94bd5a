import { createSignalsSidecar, type SignalsSidecar } from "@alpiq/memray-signals";
import type { SignalsChoice } from "./profile-options.js";
import type { ResolvedTarget } from "./target-provider.js";

/**
 * The signals of a `profile` run over the target's signals source: on a container, WireMock (given or
 * found in its Compose project), the project's logs and stats; on a pod, its namespace's logs and usage
 * and WireMock; on this host, only WireMock when --wiremock names one (the container collectors are
 * recorded as skipped). Undefined with --no-signals.
 */
export function signalsSidecarFor(choice: SignalsChoice | null, resolved: Pick<ResolvedTarget, "signalsSource">): SignalsSidecar | undefined {
  if (!choice) return undefined;
  return createSignalsSidecar({
    source: resolved.signalsSource ?? null,
    wiremockUrl: choice.wiremockUrl ?? null,
    logsSince: choice.logsSince,
    timeoutSeconds: choice.timeoutSeconds,
  });
}
