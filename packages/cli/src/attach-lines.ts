import type { AttachSummary, HarnessEvent } from "@alpiq/memray-core";

type ProcessLine = {
  pid?: unknown;
  role?: unknown;
  method?: unknown;
  status?: unknown;
  error?: unknown;
  cmdline?: unknown;
  chosen?: unknown;
  capture_bytes?: unknown;
};

const list = (value: unknown): ProcessLine[] => (Array.isArray(value) ? (value as ProcessLine[]) : []);
const command = (cmdline: unknown) => (Array.isArray(cmdline) ? cmdline.join(" ") : "");
const kib = (bytes: unknown) => (typeof bytes === "number" ? ` ${(bytes / 1024).toFixed(0)} KiB` : "");

/** What the terminal shows of mode attach's progress events: the processes, how tracking got in, the window, the end. */
export function describeAttachEvent(event: HarnessEvent): string[] {
  switch (event.event) {
    case "attach-processes":
      return list(event.processes).map((p) => `${p.chosen ? "●" : "○"} pid ${p.pid} ${p.role}  ${command(p.cmdline)}`);
    case "attach-tracking": {
      const seconds = typeof event.seconds === "number" ? ` in ${event.seconds.toFixed(2)} s` : "";
      return [
        `tracking started by ${event.method}${seconds}`,
        ...list(event.processes)
          .filter((p) => p.status !== "tracked")
          .map((p) => `pid ${p.pid} ${p.role}: ${p.status}${p.error ? ` (${p.error})` : ""}`),
      ];
    }
    case "attach-window":
      return [
        event.send_requests
          ? `sending ${event.requests} requests to the service's port ${event.service_port}; tracking until the last answers (Ctrl-C ends it sooner)`
          : `tracking for ${event.duration_seconds} s under the service's own traffic (Ctrl-C ends it sooner)`,
      ];
    case "attach-process-died":
      return [`pid ${event.pid} (${event.role}) ended during the window: its capture up to then is kept`];
    case "attach-stopped":
      return [
        `tracking stopped (${event.stopped_by}): ${list(event.processes)
          .map((p) => `pid ${p.pid}${kib(p.capture_bytes)}`)
          .join(", ")}`,
      ];
    default:
      return [];
  }
}

/** The end of an attach run: each process and where its reports are, then the merged top sites. */
export function describeAttachSummary(attach: AttachSummary): string[] {
  const lines = attach.processes.map(
    (p) =>
      `pid ${p.pid} ${p.role} (${p.method ?? "—"}): ${p.status}` +
      (p.peak_memory_mb !== null ? ` · peak ${p.peak_memory_mb.toFixed(1)} MB` : "") +
      (p.leaked_mb !== null ? ` · leaked ${p.leaked_mb.toFixed(1)} MB` : "") +
      ` · ${p.dir}/` +
      (p.error ? ` · ${p.error}` : "") +
      (p.missing_reports.length ? ` · not made: ${p.missing_reports.map((m) => m.report).join(", ")}` : ""),
  );
  const top = attach.top_allocators.slice(0, 3).map((site) => `  ${site.file} ${site.size_kb.toFixed(0)} KB (pids ${site.processes.join(", ")})`);
  return [...lines, ...(top.length ? ["merged over the processes (memray itself cannot merge them):", ...top] : [])];
}
