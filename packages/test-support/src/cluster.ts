import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildWheelhouse } from "@alpiq/memray-core";
import { repoRoot } from "./repo-root.js";
import { skipOrFail } from "./skip-or-fail.js";

/**
 * The local cluster of tools/cluster (`tools/cluster/cluster up`; tools/test.sh brings it up and takes
 * it down), as the cluster suites of packages/kubernetes and packages/cli use it. Without it these
 * suites are skipped locally; in CI they must run, so they fail instead. MEMRAY_TEST_CLUSTER=defer
 * (tools/test.sh, while the cluster is still being built) skips them quietly: they run in a later step.
 *
 * Importing this module runs `tools/cluster/cluster env` once (for KUBECONFIG and kubectl's PATH).
 */

/** KUBECONFIG and the PATH holding kubectl, as `tools/cluster/cluster env` prints them. */
export const clusterEnv: Record<string, string> = (() => {
  const printed = spawnSync(path.join(repoRoot, "tools/cluster/cluster"), ["env"], { encoding: "utf8" }).stdout ?? "";
  const kubeconfig = /KUBECONFIG=(\S+)/.exec(printed)?.[1] ?? "/var/lib/memray-cli/cluster/admin.kubeconfig";
  const bin = /PATH=([^:\s]+)/.exec(printed)?.[1] ?? "/var/cache/memray-cli/k8s/v1.34.4/bin";
  return { KUBECONFIG: kubeconfig, PATH: `${bin}:${process.env.PATH ?? ""}` };
})();

/** kubectl against the local cluster; throws with its stderr when it fails. */
export function kubectl(args: string[], input?: string): string {
  try {
    return execFileSync("kubectl", args, { env: { ...process.env, ...clusterEnv }, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`kubectl ${args.join(" ")} failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  }
}

/** Whether the local cluster is up with deploy/forecast ready (else a warning, or an error in CI). */
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
  return reason === null || skipOrFail("Kubernetes tests", reason, "tools/cluster/cluster up");
}

/**
 * A throwaway Deployment `name` (labels app=name, memray-cli-test=true) of the forecast image serving
 * forecast's app, rolled out when this returns unless `ready: false` (its readiness probe then always fails).
 */
export function applyForecastDeployment(name: string, options: { ready?: boolean } = {}): void {
  const probe = options.ready === false ? '["false"]' : `["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:5000/health', timeout=2)"]`;
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
        readinessProbe: {exec: {command: ${probe}}, initialDelaySeconds: 1, periodSeconds: 2}
`,
  );
  if (options.ready !== false) kubectl(["rollout", "status", `deploy/${name}`, "--timeout=120s"]);
}

export function deleteDeployment(name: string): void {
  kubectl(["delete", "deployment", name, "--ignore-not-found", "--wait=false"]);
}

/** Wait until the pods of every throwaway Deployment (label memray-cli-test) are gone: namespace-wide signals see them. */
export async function waitForTestPodsGone(): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    if (!kubectl(["get", "pods", "-l", "memray-cli-test=true", "-o", "name"]).trim()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`pods of throwaway Deployments still exist after 60 s: ${kubectl(["get", "pods", "-l", "memray-cli-test=true"])}`);
}

/**
 * A kubeconfig file (alone in a fresh temporary directory) for a ServiceAccount `name` allowed only
 * `rules` (YAML list items of a Role bound to it) in namespace default, with a fresh token.
 */
export async function restrictedKubeconfig(name: string, rules: string): Promise<string> {
  kubectl(
    ["apply", "-f", "-"],
    `apiVersion: v1
kind: ServiceAccount
metadata: {name: ${name}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}}
rules:
${rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}}
subjects: [{kind: ServiceAccount, name: ${name}, namespace: default}]
`,
  );
  const token = kubectl(["create", "token", name, "--duration=1h"]).trim();
  const server = kubectl(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"]).trim();
  const ca = kubectl(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority}"]).trim();
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), "memray-kubeconfig-")), "config");
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: ${server}, certificate-authority: ${ca}}}]
users: [{name: ${name}, user: {token: ${token}}}]
contexts: [{name: ${name}, context: {cluster: local, user: ${name}, namespace: default}}]
current-context: ${name}
`,
  );
  return file;
}

/** Remove what restrictedKubeconfig(name) made in the cluster. */
export function deleteRestricted(name: string): void {
  kubectl(["delete", "serviceaccount,role,rolebinding", name, "--ignore-not-found"]);
}

/** memray wheels for a fixture image's Python (3.11: bookworm; 3.13: trixie), downloaded once with the host's pip (pods have no egress). */
export async function fixtureWheelhouse(pythonVersion = "3.11"): Promise<string> {
  const dir = path.join(os.tmpdir(), `memray-cli-wheelhouse-cp${pythonVersion.replace(".", "")}`);
  if (!existsSync(path.join(dir, ".complete"))) {
    await mkdir(dir, { recursive: true });
    await buildWheelhouse({ pythonVersion, dir });
    await writeFile(path.join(dir, ".complete"), "");
  }
  return dir;
}
