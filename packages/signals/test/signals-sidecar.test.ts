import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hostSectionsSchema, type RunDir } from "@alpiq/memray-core";
import { describe, expect, it } from "vitest";
import { createSignalsSidecar, describeSignals, type SignalsDockerClient } from "../src/index.js";

const runDir = async (): Promise<RunDir> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-signals-unit-"));
  return { path: dir, runId: "r", artifactPrefix: "runs/r" };
};

/** An engine that answers nothing: every call fails like a vanished socket. */
const deadEngine = {
  listContainers: async () => {
    throw Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" });
  },
  getContainer: () => {
    throw new Error("not reached");
  },
  modem: { dial: () => undefined },
} as unknown as SignalsDockerClient;

const target = { id: "abc", name: "svc-1", labels: { "com.docker.compose.project": "local" } };

describe("createSignalsSidecar (no engine needed)", () => {
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

  it("an engine that stops answering never makes before/after throw: the collectors fail with the reason", async () => {
    const dir = await runDir();
    const sidecar = createSignalsSidecar({ docker: deadEngine, target });
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
