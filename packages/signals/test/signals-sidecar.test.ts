import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hostSectionsSchema, type RunDir } from "@alpiq/memray-core";
import { describe, expect, it } from "vitest";
import { createSignalsSidecar, describeSignals, type SignalsProgressEvent } from "../src/index.js";
import { fakeSource, unit } from "./fake-source.js";

const runDir = async (): Promise<RunDir> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-signals-unit-"));
  return { path: dir, runId: "r", artifactPrefix: "runs/r" };
};

/** A runtime that stops answering: every listing fails like a vanished socket. */
const deadEngine = () => fakeSource({ listings: [Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" })] });

describe("createSignalsSidecar", () => {
  it("a run on this host without --wiremock: every collector skipped, each with its reason", async () => {
    const dir = await runDir();
    const sidecar = createSignalsSidecar({});
    await sidecar.before(dir);
    const sections = await sidecar.after(dir);
    expect(hostSectionsSchema.parse(sections)).toEqual(sections);
    expect(sections.signals).toMatchObject({
      wiremock: { status: "skipped", reason: "no WireMock URL given (--wiremock URL); a run on this host discovers none", files: [] },
      container_logs: { status: "skipped", reason: "run on this host: no containers" },
      container_stats: { status: "skipped", reason: "run on this host: no containers" },
    });
    expect(sections.artifacts).toEqual({});
    expect(describeSignals(sections.signals)).toBe("signals: wiremock skipped · logs skipped · stats skipped");
  });

  it("a runtime that stops answering never makes before/after throw: the collectors fail with the reason", async () => {
    const dir = await runDir();
    const sidecar = createSignalsSidecar({ source: deadEngine() });
    await expect(sidecar.before(dir)).resolves.toBeUndefined();
    const { signals } = await sidecar.after(dir);
    expect(signals!.container_logs).toMatchObject({ status: "failed", error: "could not list the containers: connect ENOENT /var/run/docker.sock" });
    expect(signals!.container_stats!.status).toBe("failed");
    expect(signals!.wiremock).toMatchObject({ status: "failed", error: "could not list the containers: connect ENOENT /var/run/docker.sock" });
  });

  it("a bad --wiremock given to the library is a failed collector, not an exception", async () => {
    const dir = await runDir();
    const sidecar = createSignalsSidecar({ wiremockUrl: "ftp://example" });
    await sidecar.before(dir);
    const { signals } = await sidecar.after(dir);
    expect(signals!.wiremock).toMatchObject({ status: "failed", error: '--wiremock expects an http:// or https:// URL, received "ftp://example"' });
  });

  it("a WireMock that never answers is bounded by the timeout (fetch injected)", async () => {
    const dir = await runDir();
    const hanging = ((_url: string, init?: RequestInit) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)))) as typeof fetch;
    const sidecar = createSignalsSidecar({ wiremockUrl: "http://127.0.0.1:9", fetch: hanging, timeoutSeconds: 0.3 });
    const started = Date.now();
    await sidecar.before(dir);
    expect(Date.now() - started).toBeLessThan(2000);
    const { signals } = await sidecar.after(dir);
    expect(signals!.wiremock).toMatchObject({ status: "failed", error: "reset: timed out after 0.3 s (raise --signals-timeout)" });
  });

  it("the harness waits long enough for after(): a listing plus the collectors, each bounded", () => {
    expect(createSignalsSidecar({ timeoutSeconds: 10 }).waitSeconds).toBe(25);
  });
});

describe("WireMock URLs fetch cannot call", () => {
  it("a port fetch refuses is said plainly", async () => {
    const dir = await runDir();
    const sidecar = createSignalsSidecar({ wiremockUrl: "http://127.0.0.1:6000" });
    await sidecar.before(dir);
    const { signals } = await sidecar.after(dir);
    expect(signals!.wiremock!.error).toBe(
      'reset: WireMock at http://127.0.0.1:6000 cannot be called: fetch refuses port 6000 (a "bad port" of the Fetch standard); publish WireMock on another port (DELETE /__admin/requests)',
    );
  });
});

describe("after() without before()", () => {
  it("never dumps a journal that was not reset", async () => {
    const dir = await runDir();
    let calls = 0;
    const counting = (async () => {
      calls++;
      return new Response(JSON.stringify({ requests: [] }));
    }) as typeof fetch;
    const sidecar = createSignalsSidecar({ wiremockUrl: "http://127.0.0.1:8089", fetch: counting });
    await sidecar.prepare();
    const { signals } = await sidecar.after(dir);
    expect(signals!.wiremock).toMatchObject({ status: "failed", error: "the journal was not reset before the workload (before() never ran)" });
    expect(calls).toBe(0);
  });
});

/** The run of a sidecar over `source`: before, then after; the sections, the events and what the source was asked. */
async function runOver(source: ReturnType<typeof fakeSource>, options: { wiremockUrl?: string; fetch?: typeof fetch } = {}) {
  const dir = await runDir();
  const events: string[] = [];
  const sidecar = createSignalsSidecar({
    source,
    ...options,
    onProgress: (e: SignalsProgressEvent) => events.push(`${e.phase} ${e.collector} ${e.status} ${e.message}`),
  });
  await sidecar.before(dir);
  const sections = await sidecar.after(dir);
  expect(hostSectionsSchema.parse(sections)).toEqual(sections);
  return { dir, sections, signals: sections.signals!, events, calls: source.calls };
}

describe("the units after the workload", () => {
  const gone = async (units: readonly { name: string }[], phase: "before" | "after") => {
    const readings = Object.fromEntries(
      units.map((u) => [
        u.name,
        phase === "after" && u.name === "local-b-1"
          ? {
              status: "failed" as const,
              error: "local-b-1: no such container (removed during the run?)",
              service: "b",
              project: "local",
              memory_usage: null,
              memory_limit: null,
              memory_percent: null,
              cpu_percent: null,
            }
          : {
              status: "ok" as const,
              error: null,
              service: u.name.split("-")[1]!,
              project: "local",
              memory_usage: phase === "before" ? 100 : 200,
              memory_limit: 1000,
              memory_percent: 20,
              cpu_percent: phase === "before" ? null : 12.5,
            },
      ]),
    );
    return { raw: { phase, containers: readings }, units: readings, window: `window-${phase}` };
  };

  it("`known` (containers): a unit gone during the run stays and is reported failed, a new one is added; CPU % from the before reading", async () => {
    const source = fakeSource({
      listings: [
        [unit("local-a-1"), unit("local-b-1")],
        [unit("local-a-1"), unit("local-c-1")],
      ],
      readUsage: gone,
    });
    const { dir, signals, events, calls, sections } = await runOver(source);
    expect(calls).toEqual([
      "list",
      "usage before local-a-1,local-b-1",
      "list",
      "logs local-a-1,local-b-1,local-c-1",
      "usage after local-a-1,local-b-1,local-c-1 since window-before",
    ]);
    const stats = signals.container_stats!;
    expect(stats).toMatchObject({ status: "failed", files: ["container-stats-before.json", "container-stats-after.json"] });
    expect(stats.unit).toBeUndefined();
    expect(stats.error).toBe("1 of 3 containers failed: local-b-1 (after: local-b-1: no such container (removed during the run?))");
    expect(stats.containers!["local-b-1"]).toEqual({
      status: "failed",
      error: "after: local-b-1: no such container (removed during the run?)",
      service: "b",
      project: "local",
      memory_before: 100,
      memory_after: null,
      memory_limit: 1000,
      memory_percent_after: null,
      cpu_percent_after: null,
    });
    expect(stats.containers!["local-a-1"]).toEqual({
      status: "ok",
      error: null,
      service: "a",
      project: "local",
      memory_before: 100,
      memory_after: 200,
      memory_limit: 1000,
      memory_percent_after: 20,
      cpu_percent_after: 12.5,
    });
    expect(stats.containers!["local-c-1"]).toMatchObject({ status: "ok", memory_before: null, memory_after: 200 });
    expect(JSON.parse(await readFile(path.join(dir.path, "container-stats-after.json"), "utf8"))).toMatchObject({
      phase: "after",
      containers: { "local-b-1": { status: "failed" } },
    });
    expect(sections.artifacts).toMatchObject({
      container_stats_before: "runs/r/container-stats-before.json",
      container_stats_after: "runs/r/container-stats-after.json",
    });
    expect(events).toContain("before container_stats ok 2 containers");
    expect(events).toContain("after container_logs ok 3 files");
  });

  it("`current` (pods): usage of the units listed now only; the logs of every unit of the run, each in its latest listing", async () => {
    const fresh = { ...unit("web-2", "uid-2"), service: "web-now" };
    const source = fakeSource({
      unit: "pods",
      scope: "namespace default",
      afterUsage: "current",
      listings: [
        [unit("web-1", "uid-1"), unit("web-2", "uid-2")],
        [fresh, unit("web-3", "uid-3")],
      ],
    });
    let logged: string[] = [];
    source.collectLogs = async (units) => {
      logged = units.map((u) => `${u.name}:${u.service}`);
      return [];
    };
    const { signals, calls } = await runOver(source);
    expect(logged).toEqual(["web-1:web", "web-2:web-now", "web-3:web"]);
    expect(calls).toContain("usage after web-2,web-3 since window-before");
    expect(signals.container_stats).toMatchObject({ status: "ok", unit: "pods", error: null });
    expect(Object.keys(signals.container_stats!.containers!)).toEqual(["web-1", "web-2", "web-3"]);
    expect(describeSignals(signals)).toBe("signals: wiremock skipped · logs ok (0 files) · stats ok (3 pods)");
  });

  it("a listing that fails names the scope; a second listing that fails keeps the units of before", async () => {
    const failing = fakeSource({ unit: "pods", scope: "namespace default", listings: [new Error("forbidden")] });
    const { signals } = await runOver(failing);
    expect(signals.container_logs).toMatchObject({ status: "failed", error: "could not list the pods of namespace default: forbidden" });
    expect(signals.container_stats).toMatchObject({ status: "failed", error: "could not list the pods of namespace default: forbidden" });
    expect(signals.wiremock).toMatchObject({ status: "failed", error: "could not list the pods of namespace default: forbidden" });

    const flaky = fakeSource({ afterUsage: "current", listings: [[unit("local-a-1")], new Error("gone away")] });
    const { signals: kept, calls } = await runOver(flaky);
    expect(calls).toEqual(["list", "usage before local-a-1", "list", "logs local-a-1", "usage after local-a-1 since window-before"]);
    expect(kept.container_stats!.status).toBe("ok");
  });
});

describe("a runtime that cannot measure usage", () => {
  it("before says so: skipped with its reason, the after reading not asked, the logs unaffected", async () => {
    const source = fakeSource({ unit: "pods", readUsage: async () => ({ skipped: "the metrics API (metrics.k8s.io) is not served by this cluster (404)" }) });
    const { signals, calls, events } = await runOver(source);
    expect(signals.container_stats).toEqual({
      status: "skipped",
      reason: "the metrics API (metrics.k8s.io) is not served by this cluster (404)",
      files: [],
      duration_seconds: null,
      error: null,
    });
    expect(calls.filter((call) => call.startsWith("usage"))).toHaveLength(1);
    expect(signals.container_logs!.status).toBe("ok");
    expect(events).toContain("before container_stats skipped the metrics API (metrics.k8s.io) is not served by this cluster (404)");
  });

  it("after says so: skipped when there is no before reading, failed beside one", async () => {
    let answers: Array<"fail" | "skip" | "read"> = ["fail", "skip"];
    const source = () =>
      fakeSource({
        readUsage: async (units, phase) => {
          const answer = answers.shift();
          if (answer === "fail") throw new Error("timeout talking to the API");
          if (answer === "skip") return { skipped: "no metrics API" };
          const readings = Object.fromEntries(
            units.map((u) => [
              u.name,
              { status: "ok" as const, service: u.service, project: u.project, memory_usage: 1, memory_limit: null, memory_percent: null, cpu_percent: null },
            ]),
          );
          return { raw: { phase }, units: readings };
        },
      });
    expect((await runOver(source())).signals.container_stats).toMatchObject({ status: "skipped", reason: "no metrics API", files: [] });
    answers = ["read", "skip"];
    const { signals } = await runOver(source());
    expect(signals.container_stats).toMatchObject({ status: "failed", error: "after: no metrics API", files: ["container-stats-before.json"] });
  });
});

describe("logs", () => {
  it("each entry has the source's extra numbers; a failed unit fails the collector, its file kept when it has one", async () => {
    const source = fakeSource({
      collectLogs: async () => [
        {
          name: "local-a-1",
          status: "ok",
          error: null,
          service: "a",
          project: "local",
          file: "logs-local-a.txt",
          bytes: 30,
          extra: { stdout_bytes: 20, stderr_bytes: 10 },
        },
        {
          name: "local-b-1",
          status: "failed",
          error: "stopped after 5 bytes: timed out after 10 s (raise --signals-timeout)",
          service: "b",
          project: "local",
          file: "logs-local-b.txt",
          bytes: 5,
        },
        {
          name: "local-c-1",
          status: "failed",
          error: "local-c-1: no such container (removed during the run?)",
          service: "c",
          project: "local",
          file: null,
          bytes: 0,
        },
      ],
    });
    const { signals, sections } = await runOver(source);
    const logs = signals.container_logs!;
    expect(logs).toMatchObject({ status: "failed", files: ["logs-local-a.txt", "logs-local-b.txt"] });
    expect(logs.error).toBe(
      "2 of 3 containers failed: stopped after 5 bytes: timed out after 10 s (raise --signals-timeout); local-c-1: no such container (removed during the run?)",
    );
    expect(logs.containers!["local-a-1"]).toEqual({
      status: "ok",
      error: null,
      service: "a",
      project: "local",
      file: "logs-local-a.txt",
      bytes: 30,
      stdout_bytes: 20,
      stderr_bytes: 10,
    });
    expect(logs.containers!["local-c-1"]).toEqual({
      status: "failed",
      error: "local-c-1: no such container (removed during the run?)",
      service: "c",
      project: "local",
      file: null,
      bytes: 0,
    });
    expect(Date.parse(logs.since!)).toBeLessThan(Date.now() - 4 * 60_000);
    expect(sections.artifacts).toMatchObject({ logs_local_a: "runs/r/logs-local-a.txt" });
  });

  it("a --logs-since the library cannot read is a failed collector", async () => {
    const dir = await runDir();
    const sidecar = createSignalsSidecar({ source: fakeSource(), logsSince: "yesterday" });
    await sidecar.before(dir);
    const { signals } = await sidecar.after(dir);
    expect(signals!.container_logs).toMatchObject({ status: "failed", error: expect.stringMatching(/^--logs-since expects a duration/) });
  });
});

describe("WireMock found by the source", () => {
  it("is reset before and dumped after, named by its container", async () => {
    const calls: string[] = [];
    const answering = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${String(url)}`);
      return new Response(JSON.stringify({ requests: [{}] }));
    }) as typeof fetch;
    const source = fakeSource({ findWireMock: (units) => ({ container: units.find((u) => u.name.includes("b"))!.name, url: "http://127.0.0.1:40123" }) });
    const { signals } = await runOver(source, { fetch: answering });
    expect(signals.wiremock).toMatchObject({
      status: "ok",
      source: "discovered",
      container: "local-b-1",
      url: "http://127.0.0.1:40123",
      requests: 1,
      unmatched: 1,
    });
    expect(calls[0]).toBe("DELETE http://127.0.0.1:40123/__admin/requests");
  });
});
