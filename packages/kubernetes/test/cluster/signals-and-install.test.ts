import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { UsageReading, UsageSkipped } from "@alpiq/memray-core";
import { afterAll, describe, expect, it } from "vitest";
import { findServicePython, installMemray } from "@alpiq/memray-core";
import { connectPod, createPodSignalsSource, KubernetesTarget, MEMRAY_LOST_ON_RESTART, type KubeClient, type PodMetricsSnapshot } from "../../src/index.js";
import { applyForecastDeployment, clusterEnv, deleteDeployment, fixtureWheelhouse, kubectl, waitForTestPodsGone } from "@alpiq/memray-test-support/cluster";
import { clusterClient } from "./cluster.js";

const client = clusterClient();

const runDir = () => mkdtemp(path.join(os.tmpdir(), "k8s-signals-"));
const signal = () => AbortSignal.timeout(30_000);
const reading = (taken: UsageReading | UsageSkipped): UsageReading => {
  if ("skipped" in taken) throw new Error(`usage skipped: ${taken.skipped}`);
  return taken;
};

/** WireMock's admin API: empty the journal, or the URLs of the requests it holds. */
async function journal(url: string, method: "DELETE" | "GET"): Promise<string[]> {
  const response = await fetch(`${url}/__admin/requests`, { method, signal: signal() });
  expect(response.ok).toBe(true);
  return method === "GET" ? ((await response.json()) as { requests: Array<{ request: { url: string } }> }).requests.map((entry) => entry.request.url) : [];
}

/** metrics-server (tools/cluster starts it unless MEMRAY_K8S_METRICS=0) serves metrics.k8s.io. */
function metricsServed(): boolean {
  try {
    kubectl(["get", "apiservice", "v1beta1.metrics.k8s.io"]);
    return true;
  } catch {
    return false;
  }
}

/** Wait until metrics-server has sampled `pod` (it scrapes the kubelet every 10 s). */
async function waitForPodMetrics(pod: string): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      if (JSON.parse(kubectl(["get", "--raw", `/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/${pod}`])).containers?.length) return;
    } catch {
      // not sampled yet (404) or the APIService is still becoming Available
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`metrics-server never reported pod ${pod}`);
}

describe.runIf(client)("pod signals on the local cluster", () => {
  const kube = client as KubeClient;
  const metrics = client ? metricsServed() : false;

  it("WireMock found in the namespace and reached through a port-forward, the namespace's logs, usage before/after from metrics.k8s.io", async () => {
    const forecast = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "forecast" } });
    // The sidecar WireMock may still be starting right after `cluster up`.
    for (let attempt = 0; attempt < 60; attempt++) {
      const health = await forecast.exec(["python3", "-c", "import urllib.request as u; u.urlopen('http://wiremock:8080/__admin/health', timeout=2)"]);
      if (health.exitCode === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // Usage covers every running pod of the namespace: the other test files' throwaway pods must be gone, and
    // right after `cluster up` optimization's pod may not be sampled yet.
    await waitForTestPodsGone();
    if (metrics) {
      const pods = JSON.parse(kubectl(["get", "pods", "--field-selector=status.phase=Running", "-o", "json"])) as {
        items: Array<{ metadata: { name: string; deletionTimestamp?: string } }>;
      };
      for (const pod of pods.items) if (!pod.metadata.deletionTimestamp) await waitForPodMetrics(pod.metadata.name);
    }
    const dir = await runDir();
    const source = createPodSignalsSource({ client: kube, namespace: "default" });
    expect(source).toMatchObject({ unit: "pods", scope: "namespace default", afterUsage: "current" });
    const units = await source.listUnits(signal());
    expect(units.find((unit) => unit.name === forecast.podName)).toMatchObject({ service: "forecast", project: "default" });
    const wiremock = source.findWireMock(units);
    expect(wiremock).toMatchObject({ container: `${forecast.podName}/wiremock`, address: `${forecast.podName}:8080` });
    if (!("openForward" in wiremock)) throw new Error("WireMock is reached through a port-forward");
    const forward = await wiremock.openForward();
    try {
      expect(forward.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const before = await source.readUsage(units, "before", { signal: signal() });
      await journal(forward.url, "DELETE");
      // The workload: forecast's /upstream calls WireMock (through its hostAliases, inside the pod).
      const call = await forecast.exec([
        "python3",
        "-c",
        "import urllib.request as u; print(u.urlopen('http://127.0.0.1:5000/upstream?path=/api/weather', timeout=10).read().decode())",
      ]);
      expect(call.stdout).toMatch(/"upstream_status":200/);
      expect(await journal(forward.url, "GET")).toEqual(["/api/weather"]);

      const until = new Date();
      const logs = await source.collectLogs(units, { dir, since: new Date(until.getTime() - 24 * 3600_000), until, signal: signal() }); // back to the pods' start: their "Serving on" lines
      expect(logs.map((result) => result.file)).toEqual(
        expect.arrayContaining(["logs-default-forecast.txt", "logs-default-forecast-wiremock.txt", "logs-default-optimization.txt"]),
      );
      expect(logs.find((result) => result.name === `${forecast.podName}/forecast`)).toMatchObject({
        status: "ok",
        error: null,
        service: "forecast",
        project: "default",
        file: "logs-default-forecast.txt",
      });
      const log = await readFile(path.join(dir, "logs-default-forecast.txt"), "utf8");
      expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z .*Serving on http:\/\/0\.0\.0\.0:5000/m); // with --timestamps

      const after = await source.readUsage(await source.listUnits(signal()), "after", { signal: signal() });
      if (!metrics) {
        console.warn("the cluster runs without metrics-server (MEMRAY_K8S_METRICS=0): usage checked as skipped only");
        expect((after as UsageSkipped).skipped).toMatch(/metrics API \(metrics\.k8s\.io\) is not served by this cluster \(404/);
        return;
      }
      // Usage from metrics-server, like `kubectl top pod`: the numbers summary.json merges, and the raw file.
      for (const taken of [reading(before), reading(after)]) {
        const entry = taken.units[forecast.podName];
        expect(entry).toMatchObject({ status: "ok", service: "forecast", project: "default", memory_limit: null });
        // the forecast pod (Python + WireMock's JVM) uses tens of MiB at least
        expect(entry?.memory_usage).toBeGreaterThan(20 * 2 ** 20);
      }
      const raw = reading(after).raw as PodMetricsSnapshot;
      expect(raw).toMatchObject({ phase: "after", source: "metrics.k8s.io", namespace: "default" });
      const usage = raw.containers[forecast.podName]!;
      expect(Object.keys(usage.containers).sort()).toEqual(["forecast", "wiremock"]);
      expect(usage.memory_usage).toBe((usage.containers.forecast!.memory_usage ?? 0) + (usage.containers.wiremock!.memory_usage ?? 0));
      expect(usage.window).toMatch(/^\d+(\.\d+)?s$/);
      expect(Object.values(reading(after).units).filter((entry) => entry.status === "failed")).toEqual([]);
    } finally {
      await forward.close();
    }
  });

  it.runIf(metrics)("without the metrics API (its APIService removed): usage is skipped with the reason, the other signals are unaffected", async () => {
    const forecast = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "forecast" } });
    // Take metrics.k8s.io off the API for this test and put the very same APIService back afterwards.
    const saved = JSON.parse(kubectl(["get", "apiservice", "v1beta1.metrics.k8s.io", "-o", "json"]));
    delete saved.status;
    for (const field of ["resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"]) delete saved.metadata[field];
    kubectl(["delete", "apiservice", "v1beta1.metrics.k8s.io", "--wait=true"]);
    try {
      for (let attempt = 0; attempt < 30; attempt++) {
        const probe = spawnSync("kubectl", ["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods"], {
          env: { ...process.env, ...clusterEnv },
          encoding: "utf8",
        });
        if (/NotFound|could not find the requested resource/.test(probe.stderr)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const dir = await runDir();
      const source = createPodSignalsSource({ client: kube, namespace: "default" });
      const units = await source.listUnits(signal());
      const taken = await source.readUsage(units, "before", { signal: signal() });
      expect((taken as UsageSkipped).skipped).toMatch(
        /metrics API \(metrics\.k8s\.io\) is not served by this cluster \(404: the API group is not registered\): install metrics-server/,
      );
      const until = new Date();
      const logs = await source.collectLogs(units, { dir, since: new Date(until.getTime() - 300_000), until, signal: signal() });
      expect(logs.filter((result) => result.status !== "ok")).toEqual([]);
      expect(source.findWireMock(units)).toMatchObject({ container: `${forecast.podName}/wiremock` });
    } finally {
      kubectl(["apply", "-f", "-"], JSON.stringify(saved));
      for (let attempt = 0; attempt < 120; attempt++) {
        const available = kubectl(["get", "apiservice", "v1beta1.metrics.k8s.io", "-o", 'jsonpath={.status.conditions[?(@.type=="Available")].status}']).trim();
        if (available === "True") break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  });
});

describe.runIf(client)("installing memray into a pod", () => {
  const kube = client as KubeClient;
  const NAME = "memray-k8s-test-install";
  afterAll(() => deleteDeployment(NAME));

  it("offline from a wheelhouse, idempotent, and gone again when the pod is replaced", async () => {
    const wheelhouse = await fixtureWheelhouse();
    applyForecastDeployment(NAME);
    const connection = await connectPod(kube, { ref: { kind: "deployment", name: NAME } });
    const target = connection.target as KubernetesTarget;
    expect(connection.installNote).toBe(MEMRAY_LOST_ON_RESTART);
    expect(connection.installNote).toMatch(/lost when the pod or its container restarts/);
    const python = await findServicePython((await connection.service())!);
    const steps: string[] = [];
    const first = await installMemray({ target, python, wheelhouse, onProgress: (event) => event.type === "step" && steps.push(event.step) });
    expect(first).toMatchObject({ python: "/opt/venv/bin/python3", alreadyInstalled: false, method: "wheelhouse" });
    expect(first.version).toMatch(/^1\.\d+\.\d+$/);
    expect(steps).toEqual(expect.arrayContaining(["check", "pip", "verify"]));
    const second = await installMemray({ target, python, wheelhouse });
    expect(second).toMatchObject({ alreadyInstalled: true, method: "already-installed", version: first.version });

    kubectl(["delete", "pod", target.podName, "--wait=false"]);
    kubectl(["rollout", "status", `deploy/${NAME}`, "--timeout=120s"]);
    let replacement: KubernetesTarget | undefined;
    for (let attempt = 0; attempt < 60; attempt++) {
      replacement = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: NAME } }).catch(() => undefined);
      if (replacement && replacement.podName !== target.podName) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(replacement?.podName).not.toBe(target.podName);
    expect((await replacement!.exec(["/opt/venv/bin/python3", "-c", "import memray"])).exitCode).toBe(1);
  });
});
