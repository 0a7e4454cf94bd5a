import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { watchStderr } from "@alpiq/memray-test-support";
import {
  applyForecastDeployment,
  clusterEnv,
  clusterReady,
  deleteDeployment,
  deleteRestricted,
  kubectl,
  restrictedKubeconfig,
} from "@alpiq/memray-test-support/cluster";
import { cliBin, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { installInPod } from "./cluster-env.js";

const ready = clusterReady();

/** `profile --mode sequence` of /leak, a request every 0.5 s, on `target`: returned a few requests into the capture. */
async function sequenceUnderWay(target: string, requests: number, cwd: string) {
  const child = execa(
    "node",
    [cliBin, "profile", "--target", target, "--mode", "sequence", "--endpoint", "/leak", "--requests", String(requests), "--delay", "0.5"],
    {
      cwd,
      reject: false,
      env: { NO_COLOR: "1", ...clusterEnv },
    },
  );
  const stderr = watchStderr(child);
  await stderr.waitFor(/running the sequence workload/);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return { child, stderr };
}

describe.runIf(ready)("pod faults on the local cluster", () => {
  const VICTIM = "memray-cli-test-victim";
  const NO_EXEC = "memray-cli-test-noexec";
  afterAll(() => {
    deleteDeployment(VICTIM);
    deleteRestricted(NO_EXEC);
  });

  it("the pod is deleted mid-run: exit 3 saying so; what reached the host is kept (summary, harness.log, logs, index.html)", async () => {
    const cwd = await workspaceWithTestCases();
    applyForecastDeployment(VICTIM);
    await installInPod(["--target", `deploy/${VICTIM}`], cwd);
    const { child, stderr } = await sequenceUnderWay(`deploy/${VICTIM}`, 60, cwd);
    const pod = /on default\/(memray-cli-test-victim-\S+)/.exec(stderr.text())![1]!;
    kubectl(["delete", "pod", pod, "--wait=false"]);
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(3);
    expect(String(result.stderr)).toMatch(
      new RegExp(`error: the harness on default/${pod} ended with exit code \\d+ \\(.*pod default/${pod} (is being deleted|was deleted)`),
    );
    const dir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
    const summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"));
    expect(summary.error_code).toBe("HARNESS_KILLED");
    expect(summary.error).toMatch(/(is being deleted|was deleted)/);
    expect(summary.target).toMatchObject({ kind: "kubernetes", name: `default/${pod}` });
    for (const file of ["harness.log", "index.html", `logs-default-${VICTIM}.txt`]) expect(existsSync(path.join(dir, file)), file).toBe(true);
    expect(summary.signals.container_logs.containers[`${pod}/forecast`]).toMatchObject({ service: VICTIM, project: "default" });
  });

  it("Ctrl-C during a pod run: forwarded to the harness in the pod, the reports made there and copied out, exit 130", async () => {
    const cwd = await workspaceWithTestCases();
    await installInPod(["--target", "deploy/forecast"], cwd);
    const { child } = await sequenceUnderWay("deploy/forecast", 40, cwd);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const dir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
    const summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"));
    expect(summary.error_code).toBe("INTERRUPTED");
    expect(summary.requests.length).toBeGreaterThan(0);
    expect(summary.requests.length).toBeLessThan(40);
    for (const file of ["session.bin", "flamegraph.html", "table.txt"]) expect(existsSync(path.join(dir, file)), file).toBe(true);
  });

  it("RBAC without pods/exec: exit 3, and the message names the permission", async () => {
    const kubeconfig = await restrictedKubeconfig(
      NO_EXEC,
      '- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}\n- {apiGroups: [apps], resources: [deployments], verbs: [get]}',
    );
    const dir = path.dirname(kubeconfig); // a fresh directory holding only the kubeconfig: the runs' cwd
    const run = await runCli(["profile", "--target", "deploy/forecast", "--mode", "endpoint", "--endpoint", "/health"], dir, { KUBECONFIG: kubeconfig });
    expect(run.exitCode, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      new RegExp(
        `Kubernetes refused to (get|create) pods/exec in namespace default for system:serviceaccount:default:${NO_EXEC}: the permission "(get|create)" on "pods/exec" is missing`,
      ),
    );
    expect(run.stderr).toMatch(/resources: \["pods\/exec"\], verbs: \["get", "create"\]/);
    const json = await runCli(["install", "--target", "deploy/forecast", "--json"], dir, { KUBECONFIG: kubeconfig });
    expect(json.exitCode).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "KUBERNETES_FORBIDDEN", exit_code: 3 } });
  });

  it("a deployment that does not exist: exit 3 listing the namespace's pods", async () => {
    const run = await runCli(["profile", "--target", "deploy/no-such-service", "--mode", "leaks"], os.tmpdir(), clusterEnv);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/No deployment no-such-service in namespace default\. Pods in default:\n {2}forecast-\S+ {2}Running {2}Ready/);
  });
});
