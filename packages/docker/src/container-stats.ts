import createDebug from "debug";
import { containerError } from "./container-logs.js";
import { bytesSize, humanSize, percent } from "./docker-units.js";
import { ContainerSignalError } from "./errors.js";
import type { SignalsDockerClient, StackContainer } from "./stack-discovery.js";

const debug = createDebug("memray:docker:stats");

/** The fields of GET /containers/{id}/stats?stream=false that `docker stats` reads. */
export interface DockerStatsResponse {
  read?: string;
  preread?: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number };
  cpu_stats?: DockerCpuStats;
  precpu_stats?: DockerCpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
}

export interface DockerCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** One container's `docker stats --no-stream` line, as numbers (bytes, percent) and as the CLI prints it. */
export interface ContainerStats {
  id: string;
  /** When the daemon read the cgroup (ISO 8601). */
  read: string;
  /** The earlier reading CPU % is measured from (ISO 8601); null: there was none. */
  cpu_since: string | null;
  /** null: one reading has no window to measure CPU over (docker stats shows `--` for unknown). */
  cpu_percent: number | null;
  /** Usage without the page cache the kernel can drop (see computeContainerStats). */
  memory_usage: number;
  memory_limit: number;
  memory_percent: number;
  network_rx: number;
  network_tx: number;
  block_read: number;
  block_write: number;
  pids: number;
  /** The same, formatted like `docker stats --format json`. */
  docker: { CPUPerc: string; MemUsage: string; MemPerc: string; NetIO: string; BlockIO: string; PIDs: string };
}

/** A container's CPU counters at one reading: what the next reading's CPU % is measured from. */
export interface CpuReading {
  read: string;
  cpu: DockerCpuStats;
}

/**
 * Compute a stats line exactly as the Docker CLI does (cli/command/container/stats_helpers.go):
 * memory = usage − total_inactive_file on cgroup v1 (− inactive_file on v2; usage when the counter is
 * missing or not smaller), percent of the limit; CPU % = Δ container CPU / Δ system CPU × online CPUs ×
 * 100 between two readings: the daemon's own (precpu_stats → cpu_stats) when it sent them, else `since`
 * (a one-shot answer has no precpu_stats), null without either; network = Σ rx/tx over interfaces; block I/O = Σ
 * io_service_bytes_recursive entries whose op starts with r / w.
 */
export function computeContainerStats(raw: DockerStatsResponse, since?: CpuReading): Omit<ContainerStats, "id"> {
  const memory = raw.memory_stats ?? {};
  const usage = memory.usage ?? 0;
  const counters = memory.stats ?? {};
  let memoryUsage = usage;
  if (counters.total_inactive_file !== undefined && counters.total_inactive_file < usage) memoryUsage = usage - counters.total_inactive_file;
  else if ((counters.inactive_file ?? Number.POSITIVE_INFINITY) < usage) memoryUsage = usage - counters.inactive_file!;
  const limit = memory.limit ?? 0;
  const memoryPercent = limit !== 0 ? (memoryUsage / limit) * 100 : 0;

  const cpu = raw.cpu_stats ?? {};
  const daemonPre = raw.precpu_stats?.system_cpu_usage ? raw.precpu_stats : undefined;
  const pre = daemonPre ?? since?.cpu;
  const cpuSince = daemonPre ? (raw.preread ?? null) : (since?.read ?? null);
  // Without an earlier reading there is no window: unknown (not the average since the container started).
  const cpuDelta = pre ? (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0) : 0;
  const systemDelta = pre ? (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0) : 0;
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 0;
  const cpuPercent = !pre ? null : systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;

  let rx = 0;
  let tx = 0;
  for (const network of Object.values(raw.networks ?? {})) {
    rx += network.rx_bytes ?? 0;
    tx += network.tx_bytes ?? 0;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const entry of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op?.[0];
    if (op === "r" || op === "R") blockRead += entry.value ?? 0;
    else if (op === "w" || op === "W") blockWrite += entry.value ?? 0;
  }
  const pids = raw.pids_stats?.current ?? 0;
  return {
    read: raw.read ?? "",
    cpu_since: cpuSince,
    cpu_percent: cpuPercent,
    memory_usage: memoryUsage,
    memory_limit: limit,
    memory_percent: memoryPercent,
    network_rx: rx,
    network_tx: tx,
    block_read: blockRead,
    block_write: blockWrite,
    pids,
    docker: {
      CPUPerc: cpuPercent === null ? "--" : percent(cpuPercent),
      MemUsage: `${bytesSize(memoryUsage)} / ${bytesSize(limit)}`,
      MemPerc: percent(memoryPercent),
      NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
      BlockIO: `${humanSize(blockRead)} / ${humanSize(blockWrite)}`,
      PIDs: String(pids),
    },
  };
}

export type ContainerStatsEntry =
  | ({ status: "ok"; service: string | null; project: string | null } & ContainerStats)
  | { status: "failed"; id: string; service: string | null; project: string | null; error: string };

/** `container-stats-<phase>.json`: one snapshot of every container, keyed by container name. */
export interface StatsSnapshot {
  phase: "before" | "after";
  taken_at: string;
  containers: Record<string, ContainerStatsEntry>;
}

/** Not running (or exited since): the daemon answers with an all-zero reading, read at Go's zero time. */
const isNotRunningReading = (raw: DockerStatsResponse): boolean => !raw.read || raw.read.startsWith("0001-01-01");

/** A snapshot, and each container's CPU counters in it (by container id): the next snapshot's `since`. */
export interface StatsReadings {
  snapshot: StatsSnapshot;
  cpu: ReadonlyMap<string, CpuReading>;
}

/**
 * One one-shot reading of each container, concurrently (`stream=false&one-shot=true`: the daemon's next
 * sample, not `--no-stream`'s next two), CPU % measured from `since` (an earlier snapshot's `cpu`; none:
 * null). An engine older than API 1.41 ignores one-shot and sends its own two samples: those are used as
 * sent. Failures are per container.
 */
export async function snapshotContainerStats(
  docker: SignalsDockerClient,
  containers: readonly StackContainer[],
  phase: StatsSnapshot["phase"],
  options: { signal?: AbortSignal; now?: () => Date; since?: ReadonlyMap<string, CpuReading> } = {},
): Promise<StatsReadings> {
  const takenAt = (options.now ?? (() => new Date()))().toISOString();
  const cpu = new Map<string, CpuReading>();
  const entries = await Promise.all(
    containers.map(async (container): Promise<[string, ContainerStatsEntry]> => {
      const meta = { service: container.service, project: container.project };
      let error: unknown;
      try {
        const raw = (await docker
          .getContainer(container.id)
          .stats({ stream: false, "one-shot": true, ...(options.signal ? { abortSignal: options.signal } : {}) })) as DockerStatsResponse;
        if (!isNotRunningReading(raw)) {
          if (raw.cpu_stats) cpu.set(container.id, { read: raw.read ?? "", cpu: raw.cpu_stats });
          return [container.name, { status: "ok", ...meta, id: container.id, ...computeContainerStats(raw, options.since?.get(container.id)) }];
        }
        error = new ContainerSignalError("container_stats", container.name, `${container.name} is not running`);
      } catch (caught) {
        error = caught;
      }
      const message = options.signal?.aborted
        ? `stopped: ${String((options.signal.reason as Error)?.message ?? options.signal.reason)}`
        : containerError(container, error);
      debug("%s %s: %s", phase, container.name, message);
      return [container.name, { status: "failed", id: container.id, ...meta, error: message }];
    }),
  );
  return { snapshot: { phase, taken_at: takenAt, containers: Object.fromEntries(entries) }, cpu };
}
