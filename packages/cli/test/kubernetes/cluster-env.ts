import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildWheelhouse } from "@alpiq/memray-core";
import type { Summary } from "@alpiq/memray-core";
import { repoRoot, runCli, type CliRun } from "../cli-runner.js";

/**
 * Cluster tests run against tools/cluster's local cluster (tools/test.sh brings it up and down). They
 * are skipped locally when it is down, and fail in CI, where they must run. MEMRAY_TEST_CLUSTER=defer
 * (tools/test.sh, while the cluster is still being built) skips them quietly: they run in a later step.
 */
export const clusterEnv: Record<string, string> = (() => {
  const printed = spawnSync(path.join(repoRoot, "tools/cluster/cluster"), ["env"], { encoding: "utf8" }).stdout ?? "";
  const kubeconfig = /KUBECONFIG=(\S+)/.exec(printed)?.[1] ?? "/var/lib/memray-cli/cluster/admin.kubeconfig";
  const bin = /PATH=([^:\s]+)/.exec(printed)?.[1] ?? "/var/cache/memray-cli/k8s/v1.34.4/bin";
  return { KUBECONFIG: kubeconfig, PATH: `${bin}:${process.env.PATH ?? ""}` };
})();

export function kubectl(args: string[], input?: string): string {
  try {
    return execFileSync("kubectl", args, { env: { ...process.env, ...clusterEnv }, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`kubectl ${args.join(" ")} failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  }
}

export function clusterReady(): boolean {
  if (process.env.MEMRAY_TEST_CLUSTER === "defer") {
    console.warn("Kubernetes tests deferred: tools/test.sh runs them last, once the cluster is up");
    return false;
  }
  let reason: string | null = null;
  if (!existsSync(clusterEnv.KUBECONFIG!)) reason = `no kubeconfig at ${clusterEnv.KUBECONFIG}`;
  else {
    try {
      const ready = kubectl(["get", "deploy", "forecast", "-o", "jsonpath={.status.readyReplicas}", "--request-timeout=5s"]).trim();
      if (!Number(ready)) reason = "deploy/forecast has no ready pod";
    } catch (error) {
      reason = (error as Error).message.split("\n")[0] ?? "kubectl failed";
    }
  }
  if (reason && process.env.CI) throw new Error(`the Kubernetes tests need the local cluster (tools/cluster/cluster up): ${reason}`);
  if (reason) console.warn(`skipping Kubernetes tests: ${reason} (tools/cluster/cluster up)`);
  return reason === null;
}

/** memray wheels for the fixture images' Python 3.11 (the pods have no way out to the package index). */
export async function wheelhouse(): Promise<string> {
  const dir = path.join(os.tmpdir(), "memray-cli-wheelhouse-cp311");
  if (!existsSync(path.join(dir, ".complete"))) {
    await mkdir(dir, { recursive: true });
    await buildWheelhouse({ pythonVersion: "3.11", dir });
    await writeFile(path.join(dir, ".complete"), "");
  }
  return dir;
}

/** `memray-cli ...` against the local cluster. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, cwd, { ...clusterEnv, ...env });
}

/** memray into a pod with our own install command, offline (idempotent); fails loudly if it cannot. */
export async function installInPod(target: string[], cwd: string): Promise<CliRun> {
  const run = await cli(["install", ...target, "--wheelhouse", await wheelhouse()], cwd);
  if (run.exitCode !== 0) throw new Error(`memray-cli install ${target.join(" ")} failed (${run.exitCode}):\n${run.stderr}`);
  return run;
}

export interface PodRun extends CliRun {
  dir: string;
  summary: Summary;
}

/** `memray-cli profile ...` on the cluster; the run directory and its summary.json. */
export async function profilePod(args: string[], cwd: string, env: Record<string, string> = {}): Promise<PodRun> {
  const run = await cli(["profile", ...args], cwd, env);
  const dir = path.join(cwd, run.lastLine.startsWith("{") ? JSON.parse(run.lastLine).run_dir : run.lastLine);
  let summary: Summary;
  try {
    summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"));
  } catch (error) {
    throw new Error(`no summary.json after: profile ${args.join(" ")}\nexit ${run.exitCode}\n${run.stderr}`, { cause: error });
  }
  return { ...run, dir, summary };
}

/** A throwaway Deployment `name` of the forecast image (label app=name), rolled out. */
export function applyForecastCopy(name: string): void {
  kubectl(
    ["apply", "-f", "-"],
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, labels: {app: ${name}, memray-cli-test: "true"}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}, memray-cli-test: "true"}}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 2
      containers:
      - name: forecast
        image: memray-cli/forecast:bookworm
        imagePullPolicy: Never
        command: ["waitress-serve", "--host=0.0.0.0", "--port=5000", "forecast_service.app:app"]
        workingDir: /srv/app
        ports: [{containerPort: 5000, protocol: TCP}]
        readinessProbe: {exec: {command: ["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:5000/health', timeout=2)"]}, initialDelaySeconds: 1, periodSeconds: 2}
`,
  );
  kubectl(["rollout", "status", `deploy/${name}`, "--timeout=120s"]);
}
