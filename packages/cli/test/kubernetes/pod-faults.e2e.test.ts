import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { cliBin, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { applyForecastCopy, clusterEnv, clusterReady, installInPod, kubectl } from "./cluster-env.js";

const ready = clusterReady();

describe.runIf(ready)("pod faults on the local cluster", () => {
  const VICTIM = "memray-cli-test-victim";
  const NO_EXEC = "memray-cli-test-noexec";
  afterAll(() => {
    kubectl(["delete", "deployment", VICTIM, "--ignore-not-found", "--wait=false"]);
    kubectl(["delete", "serviceaccount,role,rolebinding", NO_EXEC, "--ignore-not-found"]);
  });

  it("the pod is deleted mid-run: exit 3 saying so; what reached the host is kept (summary, harness.log, logs, index.html)", async () => {
    const cwd = await workspaceWithTestCases();
    applyForecastCopy(VICTIM);
    await installInPod(["--target", `deploy/${VICTIM}`], cwd);
    const child = execa("node", [cliBin, "profile", "--target", `deploy/${VICTIM}`, "--mode", "sequence", "--endpoint", "/leak", "--requests", "60", "--delay", "0.5"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1", ...clusterEnv },
    });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the workload never started:\n${stderr}`)), 120_000);
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/running the sequence workload/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a few requests into the capture
    const pod = /on default\/(memray-cli-test-victim-\S+)/.exec(stderr)![1]!;
    kubectl(["delete", "pod", pod, "--wait=false"]);
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(3);
    expect(String(result.stderr)).toMatch(new RegExp(`error: the harness on default/${pod} ended with exit code \\d+ \\(.*pod default/${pod} (is being deleted|was deleted)`));
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
    const child = execa("node", [cliBin, "profile", "--target", "deploy/forecast", "--mode", "sequence", "--endpoint", "/leak", "--requests", "40", "--delay", "0.5"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1", ...clusterEnv },
    });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the workload never started:\n${stderr}`)), 120_000);
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/running the sequence workload/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
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
    kubectl(
      ["apply", "-f", "-"],
      `apiVersion: v1
kind: ServiceAccount
metadata: {name: ${NO_EXEC}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${NO_EXEC}}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [apps], resources: [deployments], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${NO_EXEC}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${NO_EXEC}}
subjects: [{kind: ServiceAccount, name: ${NO_EXEC}, namespace: default}]
`,
    );
    const token = kubectl(["create", "token", NO_EXEC, "--duration=1h"]).trim();
    const server = kubectl(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]).trim();
    const ca = kubectl(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority}"]).trim();
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-rbac-"));
    const kubeconfig = path.join(dir, "config");
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: ${server}, certificate-authority: ${ca}}}]
users: [{name: ${NO_EXEC}, user: {token: ${token}}}]
contexts: [{name: no-exec, context: {cluster: local, user: ${NO_EXEC}, namespace: default}}]
current-context: no-exec
`,
    );
    const run = await runCli(["profile", "--target", "deploy/forecast", "--mode", "endpoint", "--endpoint", "/health"], dir, { KUBECONFIG: kubeconfig });
    expect(run.exitCode, run.stderr).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`Kubernetes refused to (get|create) pods/exec in namespace default for system:serviceaccount:default:${NO_EXEC}: the permission "(get|create)" on "pods/exec" is missing`));
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
