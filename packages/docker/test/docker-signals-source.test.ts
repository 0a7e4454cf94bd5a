import { describe, expect, it } from "vitest";
import type Docker from "dockerode";
import { createDockerSignalsSource, type SignalsDockerClient } from "../src/index.js";

const PROJECT = { "com.docker.compose.project": "local" };
const info = (name: string, labels: Record<string, string>, ports: Docker.Port[] = [], image = "img"): Docker.ContainerInfo =>
  ({ Id: `id-${name}`, Names: [`/${name}`], Image: image, Labels: labels, Ports: ports }) as unknown as Docker.ContainerInfo;
const service = (name: string) => ({ ...PROJECT, "com.docker.compose.service": name, "com.docker.compose.container-number": "1" });

/** An engine answering from data: the listing, and each container's one-shot stats (an Error: the engine's refusal). */
function fakeEngine(containers: Docker.ContainerInfo[], stats: Record<string, object | Error> = {}): SignalsDockerClient {
  return {
    listContainers: async () => containers,
    getContainer: (id: string) => ({
      stats: async () => {
        const answer = stats[id];
        if (answer instanceof Error) throw answer;
        return answer ?? { read: "0001-01-01T00:00:00Z" };
      },
    }),
    modem: {},
  } as unknown as SignalsDockerClient;
}

const target = { id: "id-local-forecast-1", name: "local-forecast-1", labels: service("forecast") };
const signal = new AbortController().signal;

describe("createDockerSignalsSource", () => {
  it("units: the running containers of the target's Compose project, keyed by id", async () => {
    const source = createDockerSignalsSource({
      docker: fakeEngine([info("local-forecast-1", service("forecast")), info("local-wiremock-1", service("wiremock"))]),
      target,
    });
    expect(source).toMatchObject({ unit: "containers", scope: null, afterUsage: "known" });
    const units = await source.listUnits(signal);
    expect(units.map(({ key, name, service, project }) => ({ key, name, service, project }))).toEqual([
      { key: "id-local-forecast-1", name: "local-forecast-1", service: "forecast", project: "local" },
      { key: "id-local-wiremock-1", name: "local-wiremock-1", service: "wiremock", project: "local" },
    ]);
  });

  it("WireMock: published on 127.0.0.1 as is, else through the forward given, else failed; none or no project: skipped with the reason", async () => {
    const published = info("local-wiremock-1", service("wiremock"), [{ IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 8089, Type: "tcp" }]);
    const unpublished = info("local-wiremock-1", service("wiremock"), [{ IP: "", PrivatePort: 8080, PublicPort: 0, Type: "tcp" } as unknown as Docker.Port]);
    const find = async (containers: Docker.ContainerInfo[], options: { labels?: Record<string, string>; forward?: boolean } = {}) => {
      const opened: string[] = [];
      const source = createDockerSignalsSource({
        docker: fakeEngine(containers),
        target: { ...target, labels: options.labels ?? target.labels },
        ...(options.forward
          ? {
              openPortForward: async (container, port) => (
                opened.push(`${container.name}:${port}`), { url: "http://127.0.0.1:40000", close: async () => undefined }
              ),
            }
          : {}),
      });
      const found = source.findWireMock(await source.listUnits(signal));
      return { found, opened, url: "openForward" in found ? (await found.openForward()).url : undefined };
    };
    expect((await find([published])).found).toEqual({ container: "local-wiremock-1", url: "http://127.0.0.1:8089" });
    const forwarded = await find([unpublished], { forward: true });
    expect(forwarded).toMatchObject({
      found: { container: "local-wiremock-1", address: "local-wiremock-1:8080" },
      url: "http://127.0.0.1:40000",
      opened: ["local-wiremock-1:8080"],
    });
    expect((await find([unpublished])).found).toEqual({
      status: "failed",
      container: "local-wiremock-1",
      error: "local-wiremock-1 publishes no port on 127.0.0.1 and no port forward is available; pass --wiremock URL",
    });
    expect((await find([])).found).toEqual({ status: "skipped", reason: "no running WireMock container in Compose project local; pass --wiremock URL" });
    expect((await find([published], { labels: {} })).found).toEqual({
      status: "skipped",
      reason: "local-forecast-1 belongs to no Compose project; pass --wiremock URL",
    });
  });

  it("usage: docker stats per container with the CPU window of the earlier reading; a container that is gone is failed, its numbers null", async () => {
    const cpu = (total: number, system: number) => ({ cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 });
    const reading = (read: string, total: number, system: number) => ({
      read,
      cpu_stats: cpu(total, system),
      memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 200 } },
    });
    const containers = [info("local-forecast-1", service("forecast")), info("local-gone-1", service("gone"))];
    const gone = Object.assign(new Error("(HTTP code 404) no such container"), { statusCode: 404 });
    const before = createDockerSignalsSource({
      docker: fakeEngine(containers, {
        "id-local-forecast-1": reading("2026-01-01T00:00:00Z", 1e9, 100e9),
        "id-local-gone-1": reading("2026-01-01T00:00:00Z", 0, 100e9),
      }),
      target,
    });
    const units = await before.listUnits(signal);
    const first = await before.readUsage(units, "before", { signal });
    if ("skipped" in first) throw new Error("not skipped");
    expect(first.units["local-forecast-1"]).toEqual({
      status: "ok",
      error: null,
      service: "forecast",
      project: "local",
      memory_usage: 800,
      memory_limit: 4000,
      memory_percent: 20,
      cpu_percent: null,
    });
    const after = createDockerSignalsSource({
      docker: fakeEngine(containers, { "id-local-forecast-1": reading("2026-01-01T00:00:02Z", 2e9, 104e9), "id-local-gone-1": gone }),
      target,
    });
    const second = await after.readUsage(units, "after", { signal, since: first.window });
    if ("skipped" in second) throw new Error("not skipped");
    expect(second.units["local-forecast-1"]!.cpu_percent).toBe(50); // 1e9 of 4e9 ns over 2 CPUs
    expect(second.units["local-gone-1"]).toEqual({
      status: "failed",
      error: "local-gone-1: no such container (removed during the run?)",
      service: "gone",
      project: "local",
      memory_usage: null,
      memory_limit: null,
      memory_percent: null,
      cpu_percent: null,
    });
    expect(second.raw).toMatchObject({
      phase: "after",
      containers: { "local-gone-1": { status: "failed" }, "local-forecast-1": { status: "ok", cpu_since: "2026-01-01T00:00:00Z" } },
    });
  });
});
