import type { Signals } from "@alpiq/memray-core";

type Collector = NonNullable<Signals["wiremock"]>;

function part(label: string, collector: Collector | undefined, detail: (c: Collector) => string): string | null {
  if (!collector) return null;
  if (collector.status === "skipped") return `${label} skipped`;
  const extra = detail(collector);
  return `${label} ${collector.status}${extra ? ` (${extra})` : ""}`;
}

const count = (record: unknown) => (record && typeof record === "object" ? Object.keys(record).length : 0);

/** One line for a CLI: `signals: wiremock ok (2 requests, 1 unmatched) · logs ok (4 files) · stats failed (...)`. */
export function describeSignals(signals: Signals | undefined): string | null {
  if (!signals) return null;
  const parts = [
    part("wiremock", signals.wiremock, (c) => (c.status === "ok" ? `${c.requests ?? "?"} requests, ${c.unmatched ?? "?"} unmatched` : String(c.error ?? ""))),
    part("logs", signals.container_logs, (c) => (c.status === "ok" ? `${c.files.length} files` : String(c.error ?? ""))),
    part("stats", signals.container_stats, (c) =>
      c.status === "ok" ? `${count(c.containers)} ${signals.container_stats?.unit ?? "containers"}` : String(c.error ?? ""),
    ),
  ].filter((value): value is string => value !== null);
  return parts.length ? `signals: ${parts.join(" · ")}` : null;
}
