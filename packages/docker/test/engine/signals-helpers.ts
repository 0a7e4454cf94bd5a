import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import type { RunDir } from "@alpiq/memray-core";
import { createSignalsSidecar, type SignalsSidecar, type SignalsSidecarOptions } from "@alpiq/memray-signals";
import { createDockerSignalsSource, type SignalsTarget } from "../../src/index.js";

export const run = promisify(execFile);
/** Tests construct their own client; the library only ever receives one. */
export const docker = new Docker();
export const BASE_IMAGE = "memray-cli/base:bookworm";
export const WIREMOCK_IMAGE = "memray-cli/wiremock:bookworm";
export const FORECAST = "local-forecast-1";

/** Engine tests need the engine and the fixture stack with WireMock (`tools/stack up`); skipped without, failing in CI. */
export async function engineReady(containers: string[]): Promise<boolean> {
  const states = await Promise.all(
    containers.map((name) =>
      docker
        .getContainer(name)
        .inspect()
        .then(
          (info) => info.State.Running,
          () => false,
        ),
    ),
  );
  const ready = states.every(Boolean);
  if (!ready && process.env.CI) throw new Error(`engine tests need ${containers.join(", ")} running: run tools/stack up`);
  if (!ready) console.warn(`skipping engine tests: ${containers.join(", ")} not running (tools/stack up)`);
  return ready;
}

export async function targetOf(name: string): Promise<SignalsTarget> {
  const info = await docker.getContainer(name).inspect();
  return { id: info.Id, name: info.Name.replace(/^\//, ""), labels: info.Config.Labels ?? {} };
}

/** The signals sidecar of a run on container `name`, over this package's Docker signals source. */
export async function sidecarFor(name: string, options: Omit<SignalsSidecarOptions, "source"> = {}): Promise<SignalsSidecar> {
  return createSignalsSidecar({ ...options, source: createDockerSignalsSource({ docker, target: await targetOf(name) }) });
}

export async function scratchRunDir(): Promise<RunDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-docker-signals-"));
  return { path: dir, runId: path.basename(dir), artifactPrefix: `runs/${path.basename(dir)}` };
}

/** A throwaway container (never one of the stack's), labelled into `project` when given. */
export async function throwaway(
  name: string,
  cmd: string[],
  options: { project?: string; service?: string; tty?: boolean; network?: string; image?: string; publish?: string } = {},
): Promise<Docker.Container> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const labels: Record<string, string> = { "org.memray-cli.test": "signals" };
  if (options.project) {
    Object.assign(labels, {
      "com.docker.compose.project": options.project,
      "com.docker.compose.service": options.service ?? name,
      "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False",
    });
  }
  const container = await docker.createContainer({
    name,
    Image: options.image ?? BASE_IMAGE,
    Cmd: cmd,
    Tty: options.tty ?? false,
    Labels: labels,
    // `publish` ("8080/tcp"): on a free port of 127.0.0.1 only, the one way the host reaches a container here
    ...(options.publish ? { ExposedPorts: { [options.publish]: {} } } : {}),
    HostConfig: {
      NetworkMode: options.network ?? (options.publish ? "bridge" : "none"),
      ...(options.publish ? { PortBindings: { [options.publish]: [{ HostIp: "127.0.0.1", HostPort: "" }] } } : {}),
    },
  });
  await container.start();
  return container;
}

export async function removeQuietly(...names: string[]): Promise<void> {
  await Promise.all(
    names.map((name) =>
      docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** GET on a 127.0.0.1 URL; the status. */
export async function httpGet(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** The 127.0.0.1 port the engine chose for a container's published `port`. */
export async function publishedPort(container: Docker.Container, port: string): Promise<number> {
  const info = await container.inspect();
  return Number(info.NetworkSettings.Ports[port]![0]!.HostPort);
}

/** Wait (bounded) until WireMock's admin API answers on its published port. */
export async function waitForWireMock(url: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      if ((await fetch(`${url}/__admin/health`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`WireMock at ${url} did not come back within ${seconds} s`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
