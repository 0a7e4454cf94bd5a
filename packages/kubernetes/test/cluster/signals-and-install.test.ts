import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { signalsSchema } from "@alpiq/memray-core";
import { afterAll, describe, expect, it } from "vitest";
import { findServicePython, installMemray } from "@alpiq/memray-core";
import { connectPod, createPodSignalsSidecar, KubernetesTarget, MEMRAY_LOST_ON_RESTART, type KubeClient, type PodMetricsSnapshot } from "../../src/index.js";
import { applyDeployment, clusterClient, clusterEnv, deleteDeployment, fixtureWheelhouse, kubectl, waitForTestPodsGone } from "./cluster.js";

const client = await clusterClient();

async function runDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "k8s-signals-"));
  return { runId: path.basename(dir), path: dir, artifactPrefix: `runs/${path.basename(dir)}` };
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
      const pods = JSON.parse(kubectl(["get", "pods", "--field-selector=status.phase=Running", "-o", "json"])) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
      for (const pod of pods.items) if (!pod.metadata.deletionTimestamp) await waitForPodMetrics(pod.metadata.name);
    }
    const dir = await runDir();
    const events: string[] = [];
    const sidecar = createPodSignalsSidecar({
      client: kube,
      namespace: "default",
      pod: forecast.podName,
      logsSince: "24h", // back to the pods' start: their "Serving on" lines
      onProgress: (event) => events.push(`${event.phase} ${event.collector} ${event.status}`),
    });
    await sidecar.before(dir);
    // The workload: forecast's /upstream calls WireMock (through its hostAliases, inside the pod).
    const call = await forecast.exec(["python3", "-c", "import urllib.request as u; print(u.urlopen('http://127.0.0.1:5000/upstream?path=/api/weather', timeout=10).read().decode())"]);
    expect(call.stdout).toMatch(/"upstream_status":200/);
    const sections = await sidecar.after(dir);
    const signals = signalsSchema.parse(sections.signals);

    expect(signals.wiremock).toMatchObject({ status: "ok", source: "discovered", container: `${forecast.podName}/wiremock`, requests: 1, unmatched: 0 });
    expect(signals.wiremock?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const journal = JSON.parse(await readFile(path.join(dir.path, "wiremock-requests.json"), "utf8"));
    expect(journal.requests[0].request.url).toBe("/api/weather");

    expect(signals.container_logs?.status).toBe("ok");
    expect(signals.container_logs?.files).toEqual(expect.arrayContaining(["logs-default-forecast.txt", "logs-default-forecast-wiremock.txt", "logs-default-optimization.txt"]));
    expect(signals.container_logs?.containers?.[`${forecast.podName}/forecast`]).toMatchObject({ status: "ok", service: "forecast", project: "default", file: "logs-default-forecast.txt" });
    const log = await readFile(path.join(dir.path, "logs-default-forecast.txt"), "utf8");
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z .*Serving on http:\/\/0\.0\.0\.0:5000/m); // with --timestamps

    expect(sections.artifacts).toMatchObject({
      wiremock_requests: `${dir.artifactPrefix}/wiremock-requests.json`,
      logs_default_forecast: `${dir.artifactPrefix}/logs-default-forecast.txt`,
    });
    expect(events).toEqual(expect.arrayContaining(["before wiremock ok", "after wiremock ok", "after container_logs ok"]));

    if (!metrics) {
      console.warn("the cluster runs without metrics-server (MEMRAY_K8S_METRICS=0): usage checked as skipped only");
      expect(signals.container_stats).toMatchObject({ status: "skipped", files: [] });
      expect(signals.container_stats?.reason).toMatch(/metrics API \(metrics\.k8s\.io\) is not served by this cluster \(404/);
      return;
    }
    // Usage from metrics-server, like `kubectl top pod`: the files and summary shapes of a container run.
    expect(await readdir(dir.path)).toEqual(expect.arrayContaining(["container-stats-before.json", "container-stats-after.json"]));
    expect(signals.container_stats?.files).toEqual(["container-stats-before.json", "container-stats-after.json"]);
    const entry = signals.container_stats?.containers?.[forecast.podName];
    expect(entry).toMatchObject({ status: "ok", service: "forecast", project: "default", memory_limit: null });
    // the forecast pod (Python + WireMock's JVM) uses tens of MiB at least
    expect(entry?.memory_before).toBeGreaterThan(20 * 2 ** 20);
    expect(entry?.memory_after).toBeGreaterThan(20 * 2 ** 20);
    const after = JSON.parse(await readFile(path.join(dir.path, "container-stats-after.json"), "utf8")) as PodMetricsSnapshot;
    expect(after).toMatchObject({ phase: "after", source: "metrics.k8s.io", namespace: "default" });
    const usage = after.containers[forecast.podName]!;
    expect(Object.keys(usage.containers).sort()).toEqual(["forecast", "wiremock"]);
    expect(usage.memory_usage).toBe((usage.containers.forecast!.memory_usage ?? 0) + (usage.containers.wiremock!.memory_usage ?? 0));
    expect(usage.window).toMatch(/^\d+(\.\d+)?s$/);
    expect(sections.artifacts).toMatchObject({ container_stats_before: `${dir.artifactPrefix}/container-stats-before.json`, container_stats_after: `${dir.artifactPrefix}/container-stats-after.json` });
    expect(signals.container_stats?.error ?? null).toBeNull();
    expect(events).toEqual(expect.arrayContaining(["before container_stats ok", "after container_stats ok"]));
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
        const probe = spawnSync("kubectl", ["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods"], { env: { ...process.env, ...clusterEnv }, encoding: "utf8" });
        if (/NotFound|could not find the requested resource/.test(probe.stderr)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const dir = await runDir();
      const sidecar = createPodSignalsSidecar({ client: kube, namespace: "default", pod: forecast.podName, wiremockUrl: null });
      await sidecar.before(dir);
      const sections = await sidecar.after(dir);
      expect(sections.signals?.container_stats).toMatchObject({ status: "skipped", files: [] });
      expect(sections.signals?.container_stats?.reason).toMatch(/metrics API \(metrics\.k8s\.io\) is not served by this cluster \(404: the API group is not registered\): install metrics-server/);
      expect((await readdir(dir.path)).filter((file) => file.startsWith("container-stats"))).toEqual([]);
      expect(sections.signals?.container_logs?.status).toBe("ok");
      expect(sections.signals?.wiremock?.status).toBe("ok");
    } finally {
      kubectl(["apply", "-f", "-"], JSON.stringify(saved));
      for (let attempt = 0; attempt < 120; attempt++) {
        const available = kubectl(["get", "apiservice", "v1beta1.metrics.k8s.io", "-o", "jsonpath={.status.conditions[?(@.type==\"Available\")].status}"]).trim();
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
    applyDeployment(NAME);
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
