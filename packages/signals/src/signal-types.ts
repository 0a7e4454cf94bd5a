import type { Signals } from "@alpiq/memray-core";
import type { SignalName } from "./errors.js";

/** summary.json's three signal sections, as the collectors fill them. */
export type WireMockSignal = NonNullable<Signals["wiremock"]>;
export type ContainerLogsSignal = NonNullable<Signals["container_logs"]>;
export type ContainerStatsSignal = NonNullable<Signals["container_stats"]>;

/** One collector's phase done: what the sidecar reports through onProgress. */
export interface SignalsProgressEvent {
  collector: SignalName;
  phase: "before" | "after";
  status: "ok" | "skipped" | "failed";
  message: string;
}
