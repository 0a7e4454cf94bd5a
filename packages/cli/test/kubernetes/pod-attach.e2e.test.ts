import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { workspaceWithTestCases } from "../cli-runner.js";
import { leakLine } from "../engine/engine-env.js";
import { clusterReady, fixtureWheelhouse, kubectl } from "@alpiq/memray-test-support/cluster";
import { cli, profilePod } from "./cluster-env.js";

const ready = clusterReady();

/**
 * Mode attach on the local cluster: deploy/optimization's gunicorn workers tracked in place (gdb in the
 * image, SYS_PTRACE in the pod's securityContext), requests sent to the pod's own port from inside it.
 */
describe.runIf(ready)("mode attach against deploy/optimization (gunicorn, 2 workers)", () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    kubectl(["rollout", "status", "deploy/optimization", "--timeout=120s"]);
    const install = await cli(["install", "--target", "deploy/optimization", "--wheelhouse", await fixtureWheelhouse("3.13")], cwd);
    if (install.exitCode !== 0) throw new Error(`install into deploy/optimization failed (${install.exitCode}):\n${install.stderr}`);
  }, 600_000);

  it("--endpoint /leak --requests 10: both workers by gdb, the leak verdict and the leak line first in the merged table", { timeout: 300_000 }, async () => {
    const pods = kubectl(["get", "pods", "-l", "app=optimization", "-o", "jsonpath={.items[*].metadata.uid}"]);
    // Restarts before the run (a cluster brought up again restarts its pods) are not the run's.
    const restarts = () => kubectl(["get", "pods", "-l", "app=optimization", "-o", "jsonpath={.items[*].status.containerStatuses[0].restartCount}"]);
    const restartsBefore = restarts();
    const run = await profilePod(["--target", "deploy/optimization", "--mode", "attach", "--endpoint", "/leak", "--requests", "10", "--delay", "0.1"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = summarySchema.parse(run.summary);
    expect(summary.target?.kind).toBe("kubernetes");
    expect(summary.attach?.method).toBe("gdb");
    const workers = summary.attach!.processes.filter((p) => p.role === "worker");
    expect(workers.map((p) => p.status)).toEqual(["tracked", "tracked"]);
    for (const worker of workers) expect(existsSync(path.join(run.dir, worker.dir, "flamegraph.html"))).toBe(true);
    expect(summary.leak_indicators.likely_leak, summary.leak_indicators.reason).toBe(true);
    expect(summary.top_allocators[0]?.file).toBe(`optimization_service/app.py:${leakLine("optimization_service")}`);
    // The pod was neither restarted nor replaced.
    expect(kubectl(["get", "pods", "-l", "app=optimization", "-o", "jsonpath={.items[*].metadata.uid}"])).toBe(pods);
    expect(restarts()).toBe(restartsBefore);
  });
});
