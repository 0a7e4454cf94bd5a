import { mkdtemp, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeSignals } from "../src/index.js";
import { takeUsageBefore, writeUsageBefore, type UsageContext } from "../src/usage-signal.js";
import { createWireMockCollector, type WireMockCollectorOptions } from "../src/wiremock-collector.js";
import { fakeSource } from "./fake-source.js";

const tempDir = () => mkdtemp(path.join(os.tmpdir(), "memray-wiremock-collector-"));

/** A WireMock that answers every admin call: the journal holds `requests` calls. */
const wiremockFetch = (calls: string[], requests = 2) =>
  (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push(`${init?.method ?? "GET"} ${String(url)}`);
    return new Response(JSON.stringify({ requests: Array.from({ length: requests }, () => ({})) }));
  }) as typeof fetch;

const collector = (options: Partial<WireMockCollectorOptions> & { events?: string[] } = {}) =>
  createWireMockCollector({
    timeoutSeconds: 1,
    clock: () => 0,
    progress: (phase, status, message) => options.events?.push(`${phase} ${status} ${message}`),
    ...options,
  });

describe("createWireMockCollector", () => {
  it("--wiremock wins over discovery: reset before, dump after, counts and files in the signal", async () => {
    const calls: string[] = [];
    const events: string[] = [];
    const wiremock = collector({ wiremockUrl: "http://127.0.0.1:8089/__admin/", fetch: wiremockFetch(calls), events });
    await wiremock.locate(() => {
      throw new Error("discovery is not asked when --wiremock is given");
    });
    await wiremock.reset();
    const dir = await tempDir();
    const signal = await wiremock.dump(dir);
    expect(signal).toMatchObject({
      status: "ok",
      source: "option",
      url: "http://127.0.0.1:8089",
      requests: 2,
      unmatched: 2,
      files: ["wiremock-requests.json", "wiremock-unmatched.json"],
    });
    expect(calls).toEqual([
      "DELETE http://127.0.0.1:8089/__admin/requests",
      "GET http://127.0.0.1:8089/__admin/requests",
      "GET http://127.0.0.1:8089/__admin/requests/unmatched",
    ]);
    expect(events).toEqual(["before ok journal of http://127.0.0.1:8089 reset", "after ok 2 requests, 2 unmatched"]);
    expect((await readdir(dir)).sort()).toEqual(["wiremock-requests.json", "wiremock-unmatched.json"]);
  });

  it("what discovery reports: skipped with its reason, failed with the container it found", async () => {
    const skipped = collector();
    await skipped.locate(() => ({ status: "skipped", reason: "no WireMock here" }));
    await skipped.reset();
    expect(await skipped.dump(await tempDir())).toMatchObject({ status: "skipped", reason: "no WireMock here", files: [] });

    const failed = collector();
    await failed.locate(() => ({ status: "failed", container: "wm-1", error: "publishes no port" }));
    await failed.reset();
    const signal = await failed.dump(await tempDir());
    expect(signal).toMatchObject({ status: "failed", source: "discovered", container: "wm-1", error: "publishes no port" });
  });

  it("a discovered WireMock behind a forward: reached through it, which is closed after", async () => {
    const calls: string[] = [];
    let closed = 0;
    const wiremock = collector({ fetch: wiremockFetch(calls, 0) });
    await wiremock.locate(() => ({
      container: "ns/wm",
      address: "wm:8080",
      openForward: async () => ({ url: "http://127.0.0.1:40001", close: async () => void closed++ }),
    }));
    await wiremock.reset();
    expect(await wiremock.dump(await tempDir())).toMatchObject({
      status: "ok",
      source: "discovered",
      container: "ns/wm",
      url: "http://127.0.0.1:40001",
      requests: 0,
    });
    await wiremock.close();
    expect(closed).toBe(1);
    expect(calls[0]).toBe("DELETE http://127.0.0.1:40001/__admin/requests");
  });

  it("a forward that cannot be opened is a failed signal naming the address", async () => {
    const wiremock = collector();
    await wiremock.locate(() => ({ container: "ns/wm", address: "wm:8080", openForward: async () => Promise.reject(new Error("refused")) }));
    await wiremock.reset();
    expect(await wiremock.dump(await tempDir())).toMatchObject({
      status: "failed",
      container: "ns/wm",
      error: "could not forward wm:8080 to the host: refused",
    });
  });

  it("never dumps a journal that was not reset", async () => {
    const calls: string[] = [];
    const wiremock = collector({ wiremockUrl: "http://127.0.0.1:8089", fetch: wiremockFetch(calls) });
    await wiremock.locate(() => ({ status: "skipped", reason: "not asked" }));
    expect(await wiremock.dump(await tempDir())).toMatchObject({
      status: "failed",
      error: "the journal was not reset before the workload (before() never ran)",
    });
    expect(calls).toEqual([]);
  });
});

describe("takeUsageBefore / writeUsageBefore", () => {
  const events: string[] = [];
  const context = (source = fakeSource()): UsageContext => ({
    source,
    timeoutSeconds: 1,
    clock: () => 0,
    progress: (phase, status, message) => events.push(`${phase} ${status} ${message}`),
  });

  it("a reading taken early is written in before() as container-stats-before.json and counted in the source's unit", async () => {
    events.length = 0;
    const dir = await tempDir();
    const pods = context(fakeSource({ unit: "pods" }));
    const before = await takeUsageBefore(
      [
        { key: "a", name: "a", service: null, project: null },
        { key: "b", name: "b", service: null, project: null },
      ],
      pods,
    );
    await writeUsageBefore(before, dir, pods);
    expect(before).toMatchObject({ file: "container-stats-before.json", seconds: 0 });
    expect(await readdir(dir)).toEqual(["container-stats-before.json"]);
    expect(events).toEqual(["before ok 2 pods"]);
  });

  it("a reading the source skips is a skip; an error, a failure; a write that fails, a failure", async () => {
    events.length = 0;
    const skipping = context(fakeSource({ readUsage: async () => ({ skipped: "no metrics API" }) }));
    const failing = context(fakeSource({ readUsage: () => Promise.reject(new Error("boom")) }));
    const skipped = await takeUsageBefore([], skipping);
    const failed = await takeUsageBefore([], failing);
    const unwritable = await takeUsageBefore([], context());
    const nowhere = path.join(await tempDir(), "missing", "dir");
    for (const before of [skipped, failed, unwritable]) await writeUsageBefore(before, nowhere, context());
    expect(events[0]).toBe("before skipped no metrics API");
    expect(events[1]).toBe("before failed boom");
    expect(events[2]).toMatch(/^before failed could not write container-stats-before\.json: ENOENT/);
  });
});

describe("describeSignals", () => {
  const stats = (extra: object) => ({ status: "ok" as const, files: [], duration_seconds: 1, error: null, containers: { a: {}, b: {} }, ...extra });

  it("counts the stats entries in their unit: containers unless the signal names another", () => {
    expect(describeSignals({ container_stats: stats({}) } as never)).toBe("signals: stats ok (2 containers)");
    expect(describeSignals({ container_stats: stats({ unit: "pods" }) } as never)).toBe("signals: stats ok (2 pods)");
  });
});
