import { mkdtemp, readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ApiStatusError, type KubeClient } from "../src/kube-client.js";
import { createPodSignalsSource } from "../src/pod-signals-source.js";

/** A pod as the API returns it (data). */
function pod(name: string, options: { phase?: string; deleting?: boolean; owner?: string; containers?: string[]; image?: string } = {}): V1Pod {
  const containers = options.containers ?? ["main"];
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: options.owner ? { "pod-template-hash": "h" } : {},
      ownerReferences: options.owner ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${options.owner}-h`, uid: "rs", controller: true }] : [],
      ...(options.deleting ? { deletionTimestamp: new Date("2026-01-01T00:00:00Z") } : {}),
    },
    spec: { containers: containers.map((c) => ({ name: c, image: options.image ?? `img/${c}`, resources: { limits: { memory: "200Mi" } } })) },
    status: {
      phase: options.phase ?? "Running",
      containerStatuses: containers.map((c) => ({ name: c, image: "", imageID: "", ready: true, restartCount: 0, state: { running: {} } })),
    },
  };
}

/** A cluster answering from data: the namespace's pods, the metrics API (or its absence), each pod's log. */
function fakeClient(
  pods: V1Pod[],
  options: { metrics?: "none" | Array<{ name: string; memory: string }>; listError?: Error } = {},
): KubeClient & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    server: "https://127.0.0.1:6443",
    context: "test",
    core: {
      listNamespacedPod: async () => {
        if (options.listError) throw options.listError;
        return { items: pods };
      },
    },
    async getJson(apiPath: string) {
      paths.push(apiPath);
      if (options.metrics === "none") throw new ApiStatusError(404, "NotFound", "the server could not find the requested resource");
      return {
        items: (options.metrics ?? []).map((m) => ({ metadata: { name: m.name }, containers: [{ name: "main", usage: { cpu: "50m", memory: m.memory } }] })),
      };
    },
    async getStream(apiPath: string) {
      paths.push(apiPath);
      return Readable.from([Buffer.from(`2026-01-01T00:00:00Z line of ${apiPath.split("/")[6]}\n`)]) as unknown as IncomingMessage;
    },
  } as unknown as KubeClient & { paths: string[] };
}

const signal = new AbortController().signal;

describe("createPodSignalsSource", () => {
  it("units: the namespace's Running and Pending pods, keyed by uid, their Deployment as the service, the namespace as the project", async () => {
    const source = createPodSignalsSource({
      client: fakeClient([pod("forecast-h-a", { owner: "forecast" }), pod("starting", { phase: "Pending" }), pod("done", { phase: "Succeeded" })]),
      namespace: "default",
    });
    expect(source).toMatchObject({ unit: "pods", scope: "namespace default", afterUsage: "current" });
    const units = await source.listUnits(signal);
    expect(units.map(({ key, name, service, project }) => ({ key, name, service, project }))).toEqual([
      { key: "uid-forecast-h-a", name: "forecast-h-a", service: "forecast", project: "default" },
      { key: "uid-starting", name: "starting", service: "starting", project: "default" },
    ]);
  });

  it("a listing the API refuses is the API's typed error", async () => {
    const source = createPodSignalsSource({
      client: fakeClient([], { listError: Object.assign(new Error("forbidden"), { code: 403 }) }),
      namespace: "default",
    });
    await expect(source.listUnits(signal)).rejects.toThrow();
  });

  it("WireMock: a pod container named so, reached through the forward given", async () => {
    const opened: string[] = [];
    const client = fakeClient([pod("app"), pod("mock", { containers: ["wiremock"] })]);
    const source = createPodSignalsSource({
      client,
      namespace: "default",
      openPortForward: async (location) => (opened.push(`${location.pod}:${location.port}`), { url: "http://127.0.0.1:40000", close: async () => undefined }),
    });
    const found = source.findWireMock(await source.listUnits(signal));
    expect(found).toMatchObject({ container: "mock/wiremock", address: "mock:8080" });
    expect("openForward" in found && (await found.openForward()).url).toBe("http://127.0.0.1:40000");
    expect(opened).toEqual(["mock:8080"]);
    expect(createPodSignalsSource({ client: fakeClient([pod("app")]), namespace: "ns" }).findWireMock([])).toEqual({
      status: "skipped",
      reason: "no WireMock pod in namespace ns; pass --wiremock URL",
    });
  });

  it("usage: only running pods that are not being deleted; the raw snapshot for container-stats-<phase>.json; no metrics API is a skip", async () => {
    const pods = [pod("web-h-a", { owner: "web" }), pod("leaving", { deleting: true }), pod("starting", { phase: "Pending" }), pod("quiet")];
    const client = fakeClient(pods, { metrics: [{ name: "web-h-a", memory: "100Mi" }] });
    const source = createPodSignalsSource({ client, namespace: "default", now: () => new Date("2026-01-01T00:00:00Z") });
    const taken = await source.readUsage(await source.listUnits(signal), "after", { signal });
    if ("skipped" in taken) throw new Error("not skipped");
    expect(Object.keys(taken.units)).toEqual(["web-h-a", "quiet"]);
    expect(taken.units["web-h-a"]).toEqual({
      status: "ok",
      error: null,
      service: "web",
      project: "default",
      memory_usage: 100 * 2 ** 20,
      memory_limit: 200 * 2 ** 20,
      memory_percent: 50,
      cpu_percent: 5,
    });
    expect(taken.units.quiet).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/^no metrics for this pod yet/),
      service: "quiet",
      memory_usage: null,
      memory_limit: 200 * 2 ** 20,
    });
    expect(taken.raw).toMatchObject({ phase: "after", taken_at: "2026-01-01T00:00:00.000Z", source: "metrics.k8s.io", namespace: "default" });

    const none = createPodSignalsSource({ client: fakeClient(pods, { metrics: "none" }), namespace: "default" });
    expect(await none.readUsage([], "before", { signal })).toEqual({
      skipped: expect.stringMatching(/^the metrics API \(metrics\.k8s\.io\) is not served by this cluster \(404: the API group is not registered\)/),
    });
  });

  it("logs: one result per pod container, named pod/container, written as logs-<namespace>-<deployment>.txt", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-pod-source-"));
    const client = fakeClient([pod("web-h-a", { owner: "web", containers: ["web", "sidecar"] })]);
    const source = createPodSignalsSource({ client, namespace: "default" });
    const results = await source.collectLogs(await source.listUnits(signal), { dir, since: new Date("2026-01-01T00:00:00Z"), until: new Date(), signal });
    expect(results).toEqual([
      { name: "web-h-a/web", status: "ok", error: null, service: "web", project: "default", file: "logs-default-web.txt", bytes: 37 },
      { name: "web-h-a/sidecar", status: "ok", error: null, service: "web", project: "default", file: "logs-default-web-sidecar.txt", bytes: 37 },
    ]);
    expect(await readFile(path.join(dir, "logs-default-web.txt"), "utf8")).toBe("2026-01-01T00:00:00Z line of web-h-a\n");
    expect(client.paths[0]).toBe("/api/v1/namespaces/default/pods/web-h-a/log?container=web&timestamps=true&sinceTime=2026-01-01T00%3A00%3A00Z");
  });
});
