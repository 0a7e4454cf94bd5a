import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { cliBin, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { installMemray, leakLine } from "../engine/engine-env.js";
import { driveLiveWeb } from "@alpiq/memray-test-support";
import { clusterEnv, clusterReady, kubectl } from "@alpiq/memray-test-support/cluster";
import { cli, installInPod, profilePod } from "./cluster-env.js";

const ready = clusterReady();
const REPORTS = ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt"];

/** The run directory's files, with the per-service families (logs, stats) folded. */
async function layout(dir: string): Promise<string[]> {
  return [
    ...new Set(
      (await readdir(dir)).map((file) => file.replace(/^logs-.*\.txt$/, "logs-*.txt").replace(/^container-stats-.*\.json$/, "container-stats-*.json")),
    ),
  ].sort();
}

async function containerUp(name: string): Promise<boolean> {
  const result = await execa("docker", ["inspect", "-f", "{{.State.Running}}", name], { reject: false });
  return result.exitCode === 0 && String(result.stdout).trim() === "true";
}

describe.runIf(ready)("profiling a pod of the local cluster (deploy/forecast: Flask/Waitress, real memray)", () => {
  let cwd: string;
  const leakSite = `forecast_service/app.py:${leakLine("forecast_service")}`;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    // Wait for forecast's WireMock beside it (it may still be starting right after `cluster up`).
    for (let attempt = 0; attempt < 60; attempt++) {
      const health = await execa(
        "kubectl",
        [
          "exec",
          "deploy/forecast",
          "-c",
          "forecast",
          "--",
          "python3",
          "-c",
          "import urllib.request as u; u.urlopen('http://wiremock:8080/__admin/health', timeout=2)",
        ],
        {
          env: { ...process.env, ...clusterEnv },
          reject: false,
        },
      );
      if (health.exitCode === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await installInPod(["--target", "deploy/forecast"], cwd);
  });

  it("install into the pod is idempotent, offline from a wheelhouse, and says it is lost on restart", async () => {
    const again = await installInPod(["-l", "app=forecast", "--namespace", "default"], cwd);
    expect(again.lastLine).toMatch(/^\d+\.\d+\.\d+$/);
    expect(again.stderr).toMatch(/already installed for \/opt\/venv\/bin\/python3 in pod\/forecast-\S+ -n default \(container forecast\)/);
    expect(again.stderr).toMatch(/note: memray was installed into the pod's container filesystem: it is lost when the pod or its container restarts/);
    const json = await cli(["install", "--target", "deploy/forecast", "--json"], cwd);
    expect(JSON.parse(json.stdout)).toMatchObject({ alreadyInstalled: true, method: "already-installed", namespace: "default", podContainer: "forecast" });
  });

  it("sequence: `profile --target deploy/forecast --mode sequence --endpoint /leak --requests 10` writes the container's run directory, with signals", async () => {
    const run = await profilePod(["--target", "deploy/forecast", "--mode", "sequence", "--endpoint", "/leak", "--requests", "10"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.lastLine).toMatch(/^runs\/sequence-\d{8}-\d{6}/);
    const summary = summarySchema.parse(run.summary);
    expect(summary.target).toMatchObject({ kind: "kubernetes", python: "/opt/venv/bin/python3", service_port: 5000 });
    expect(summary.target?.name).toMatch(/^default\/forecast-/);
    expect(summary.requests).toHaveLength(10);
    expect(summary.requests.every((request) => request.status === 200)).toBe(true);
    expect(summary.leak_indicators.likely_leak).toBe(true);
    expect(summary.top_allocators[0]?.file).toContain(leakSite);
    for (const report of REPORTS) expect(existsSync(path.join(run.dir, report)), report).toBe(true);
    // Signals: WireMock found beside forecast and reached through a port-forward, the namespace's logs, its pods' usage from metrics-server.
    expect(summary.signals?.wiremock).toMatchObject({ status: "ok", source: "discovered", requests: 0 });
    expect(summary.signals?.container_logs?.status).toBe("ok");
    expect(summary.signals?.container_logs?.files).toEqual(
      expect.arrayContaining(["logs-default-forecast.txt", "logs-default-forecast-wiremock.txt", "logs-default-optimization.txt"]),
    );
    const pod = summary.target!.name.replace(/^default\//, "");
    expect(summary.signals?.container_stats?.files).toEqual(["container-stats-before.json", "container-stats-after.json"]);
    // (another test file may start a pod in the namespace meanwhile, which metrics-server has not sampled yet: only forecast's entry is pinned)
    expect(summary.signals?.container_stats?.containers?.[pod]).toMatchObject({ status: "ok", service: "forecast", project: "default" });
    expect(summary.signals?.container_stats?.containers?.[pod]?.memory_before).toBeGreaterThan(20 * 2 ** 20);
    expect(summary.signals?.container_stats?.containers?.[pod]?.memory_after).toBeGreaterThan(20 * 2 ** 20);
    expect(summary.artifacts).toMatchObject({
      wiremock_requests: `${run.lastLine}/wiremock-requests.json`,
      logs_default_forecast: `${run.lastLine}/logs-default-forecast.txt`,
      container_stats_after: `${run.lastLine}/container-stats-after.json`,
    });
    expect(run.stderr).toMatch(/signals: wiremock ok \(0 requests, 0 unmatched\) · logs ok \(\d+ files\) · stats (ok|failed) \(/);
    expect(await readFile(path.join(run.dir, "index.html"), "utf8")).toMatch(/logs-default-forecast\.txt/);

    // The same command against the container writes the same files (the logs are named after namespace and Deployment there).
    if (await containerUp("local-forecast-1")) {
      // Like the engine tests: the container may have been recreated since memray went in (idempotent).
      await installMemray("local-forecast-1", cwd);
      const container = await runCli(["profile", "--target", "local-forecast-1", "--mode", "sequence", "--endpoint", "/leak", "--requests", "10"], cwd);
      expect(container.exitCode, container.stderr).toBe(0);
      expect(await layout(run.dir)).toEqual(await layout(path.join(cwd, container.lastLine)));
    }
  });

  it("endpoint: one request to /upstream; the WireMock journal through the port-forward holds forecast's upstream call", async () => {
    const run = await profilePod(["-l", "app=forecast", "--namespace", "default", "--mode", "endpoint", "--endpoint", "/upstream", "--json"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.requests).toEqual([expect.objectContaining({ request_num: 1, status: 200 })]);
    expect(run.summary.signals?.wiremock).toMatchObject({ status: "ok", requests: 1, unmatched: 0 });
    const journal = JSON.parse(await readFile(path.join(run.dir, "wiremock-requests.json"), "utf8"));
    expect(journal.requests[0].request.url).toBe("/api/weather");
  });

  it("leaks: trace_python_allocators forced, the leaks flamegraph and a table of what leaked, from the pod", async () => {
    const run = await profilePod(["--target", "deploy/forecast", "--mode", "leaks", "--endpoint", "/leak"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.profiling.trace_python_allocators).toBe(true);
    expect(await readFile(path.join(run.dir, "leaks.html"), "utf8")).toMatch(/memray/i);
    expect(await readFile(path.join(run.dir, "table.txt"), "utf8")).toContain(leakSite);
  });

  it("live-web: SocketDestination in the pod, forwarded to 127.0.0.1 with the API's port-forward; memray's live client sees the service", async () => {
    const child = execa("node", [cliBin, "profile", "--target", "deploy/forecast", "--mode", "live-web", "--timeout", "25"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1", ...clusterEnv },
    });
    const { summary } = await driveLiveWeb(child, cwd);
    expect(summary.mode).toBe("live-web");
    expect(summary.error).toBeNull();
    expect(summary.target?.kind).toBe("kubernetes");
  });

  it("a pod without memray: exit 3 and the install command for that pod", async () => {
    kubectl(["rollout", "status", "deploy/optimization", "--timeout=60s"]);
    const probe = await execa("kubectl", ["exec", "deploy/optimization", "--", "/opt/venv/bin/python3", "-c", "import memray"], {
      env: { ...process.env, ...clusterEnv },
      reject: false,
    });
    if (probe.exitCode === 0) return; // someone installed it by hand: nothing to check
    const run = await profilePod(["--target", "deploy/optimization", "--mode", "endpoint", "--endpoint", "/health"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.summary.error_code).toBe("MEMRAY_NOT_INSTALLED");
    expect(run.stderr).toMatch(/install it: memray-cli install --target pod\/optimization-\S+ --namespace default/);
  });
});
