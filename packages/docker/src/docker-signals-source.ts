import type { SignalsPortForward, SignalsSource, SignalsUnit, UnitUsage } from "@alpiq/memray-core";
import { collectContainerLogs } from "./container-logs.js";
import { snapshotContainerStats, type ContainerStatsEntry, type CpuReading } from "./container-stats.js";
import {
  composeProjectOf,
  discoverStackContainers,
  findWireMock,
  type SignalsDockerClient,
  type SignalsTarget,
  type StackContainer,
} from "./stack-discovery.js";

/** A container whose logs and stats a run collects. */
export interface DockerSignalsUnit extends SignalsUnit {
  container: StackContainer;
}

export interface DockerSignalsSourceOptions {
  /** dockerode client (injected, never constructed here). */
  docker: SignalsDockerClient;
  /** The profiled container: its labels name its Compose project. */
  target: SignalsTarget;
  /** Reach WireMock's container port when it publishes none on 127.0.0.1 (the CLI passes an exec relay, `forwardPort`). */
  openPortForward?: ((container: StackContainer, containerPort: number) => Promise<SignalsPortForward>) | undefined;
  /** For the snapshots' `taken_at`; default the system clock. */
  now?: () => Date;
}

const unitOf = (container: StackContainer): DockerSignalsUnit => ({
  key: container.id,
  name: container.name,
  service: container.service,
  project: container.project,
  container,
});

function usageOf(entry: ContainerStatsEntry): UnitUsage {
  const unit = { service: entry.service, project: entry.project };
  if (entry.status === "failed")
    return { ...unit, status: "failed", error: entry.error, memory_usage: null, memory_limit: null, memory_percent: null, cpu_percent: null };
  return {
    ...unit,
    status: "ok",
    error: null,
    memory_usage: entry.memory_usage,
    memory_limit: entry.memory_limit,
    memory_percent: entry.memory_percent,
    cpu_percent: entry.cpu_percent,
  };
}

/**
 * The signals source of a container run (core's SignalsSource, for @alpiq/memray-signals' sidecar): the
 * running containers of the target's Compose project (every running container when it belongs to none),
 * WireMock among them, their `docker stats` (the "after" CPU % measured from the "before" reading) and
 * their `docker logs`. A container removed during the run stays a unit of the run: its "after" logs and
 * stats are reported failed.
 */
export function createDockerSignalsSource(options: DockerSignalsSourceOptions): SignalsSource<DockerSignalsUnit, ReadonlyMap<string, CpuReading>> {
  const { docker, target } = options;
  return {
    unit: "containers",
    scope: null,
    afterUsage: "known",

    async listUnits(signal) {
      return (await discoverStackContainers(docker, target, signal)).map(unitOf);
    },

    findWireMock(units) {
      const project = composeProjectOf(target.labels);
      if (!project) return { status: "skipped", reason: `${target.name} belongs to no Compose project; pass --wiremock URL` };
      const found = findWireMock(units.map((unit) => unit.container));
      if (!found) return { status: "skipped", reason: `no running WireMock container in Compose project ${project}; pass --wiremock URL` };
      const container = found.container.name;
      if (found.url) return { container, url: found.url };
      const { openPortForward } = options;
      if (!openPortForward)
        return { status: "failed", container, error: `${container} publishes no port on 127.0.0.1 and no port forward is available; pass --wiremock URL` };
      return { container, address: `${container}:${found.containerPort}`, openForward: () => openPortForward(found.container, found.containerPort) };
    },

    async readUsage(units, phase, { signal, since }) {
      const { snapshot, cpu } = await snapshotContainerStats(
        docker,
        units.map((unit) => unit.container),
        phase,
        { signal, now: options.now, since },
      );
      return { raw: snapshot, window: cpu, units: Object.fromEntries(Object.entries(snapshot.containers).map(([name, entry]) => [name, usageOf(entry)])) };
    },

    async collectLogs(units, { dir, since, until, signal }) {
      const results = await collectContainerLogs({ docker, containers: units.map((unit) => unit.container), dir, since, until, signal });
      return results.map((result) => ({
        name: result.container.name,
        status: result.status,
        error: result.error,
        service: result.container.service,
        project: result.container.project,
        file: result.file,
        bytes: result.bytes,
        extra: { stdout_bytes: result.stdoutBytes, stderr_bytes: result.stderrBytes },
      }));
    },
  };
}
