import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cliBin, runCli, workspaceWithTestCases } from "./cli-runner.js";

// Kubernetes targets where no cluster answers (no cluster needed): the errors a user sees, and that
// nothing of @kubernetes/client-node is loaded unless a pod is named.

describe("Kubernetes without a cluster", () => {
  it("no kubeconfig: exit 3 (KUBERNETES_UNAVAILABLE) saying where it looked", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "memray-cli-home-"));
    const run = await runCli(["profile", "--target", "deploy/forecast", "--mode", "leaks"], home, { HOME: home, KUBECONFIG: "" });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/No kubeconfig: KUBECONFIG is unset and ~\/\.kube\/config does not exist/);
  });

  it("an API server that does not answer: exit 3 naming it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-kube-"));
    await writeFile(
      path.join(dir, "config"),
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
    );
    const run = await runCli(["profile", "-l", "app=forecast", "--mode", "leaks"], dir, { KUBECONFIG: path.join(dir, "config") });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/The Kubernetes API server at https:\/\/127\.0\.0\.1:1 \(context "x"\) does not answer: ECONNREFUSED/);
  });

  it("a local run never loads @kubernetes/client-node; a pod run does", async () => {
    const dir = await workspaceWithTestCases();
    const trace = path.join(dir, "loaded.txt");
    const hooks = path.join(dir, "hooks.mjs");
    await writeFile(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes("@kubernetes/client-node")) appendFileSync(${JSON.stringify(trace)}, resolved.url + "\\n");
  return resolved;
}`,
    );
    const register = path.join(dir, "register.mjs");
    await writeFile(register, `import { register } from "node:module";\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);
    const local = await execa(
      "node",
      ["--import", register, cliBin, "profile", "--mode", "script", "--script", "test-cases/example-sequential-requests.py", "--quiet"],
      {
        cwd: dir,
        reject: false,
        env: { NO_COLOR: "1" },
      },
    );
    expect(local.exitCode, String(local.stderr)).toBe(0);
    expect(existsSync(trace)).toBe(false);
    const pod = await execa("node", ["--import", register, cliBin, "profile", "--target", "deploy/x", "--mode", "leaks"], {
      cwd: dir,
      reject: false,
      env: { NO_COLOR: "1", HOME: dir, KUBECONFIG: "" },
    });
    expect(pod.exitCode).toBe(3);
    expect(await readFile(trace, "utf8")).toMatch(/@kubernetes\/client-node/);
  });
});
