import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./cli-runner.js";

// The packages as users get them: `npm pack` of every package, installed from the tarballs into an
// empty project outside the workspace (dependencies from the registry), then used the documented
// ways: `npx memray-cli`, `npx memray-compare`, and `import` from a small ESM script. The Python
// harness must come with @alpiq/memray-core. Needs the packages built (dist/).

const SCRIPT = "test-cases/example-sequential-requests.py";

describe("packed tarballs installed in an empty project", () => {
  let project: string;
  const npx = (args: string[], options: { env?: Record<string, string> } = {}) =>
    execa("npx", args, { cwd: project, reject: false, env: { NO_COLOR: "1", ...options.env } });

  beforeAll(async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), "memray-tarballs-"));
    const tarballs = path.join(scratch, "tarballs");
    project = path.join(scratch, "project");
    await mkdir(tarballs);
    await mkdir(project);
    const packages: string[] = [];
    for (const entry of await readdir(path.join(repoRoot, "packages"), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const manifest = JSON.parse(await readFile(path.join(repoRoot, "packages", entry.name, "package.json"), "utf8"));
      if (!manifest.private) packages.push(entry.name); // private ones (test-support) never reach users
    }
    for (const name of packages) {
      await execa("npm", ["pack", "--pack-destination", tarballs, "--silent"], { cwd: path.join(repoRoot, "packages", name) });
    }
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "tarball-check", private: true, type: "module" }));
    const files = (await readdir(tarballs)).map((file) => path.join(tarballs, file));
    expect(files.map((file) => path.basename(file)).sort()).toEqual(packages.map((name) => `alpiq-memray-${name}-0.1.0.tgz`).sort());
    const install = await execa("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files], { cwd: project, reject: false });
    expect(install.exitCode, String(install.stderr)).toBe(0);
    await cp(path.join(repoRoot, "test-cases"), path.join(project, "test-cases"), { recursive: true });
  });

  it("installs no workspace: every @alpiq package is a real directory, with the harness inside core", async () => {
    for (const name of ["cli", "core", "compare", "docker", "kubernetes", "reports", "signals", "debug-build"]) {
      expect(existsSync(path.join(project, "node_modules/@alpiq", `memray-${name}`, "package.json"))).toBe(true);
    }
    expect(existsSync(path.join(project, "node_modules/@alpiq/memray-core/python/memray_harness/__init__.py"))).toBe(true);
    expect(existsSync(path.join(project, "node_modules/@alpiq/memray-core/python/memray_harness/contract.json"))).toBe(true);
    expect(existsSync(path.join(project, "node_modules/@alpiq/memray-core/schema/cli-profile.schema.json"))).toBe(true);
  });

  it("npx memray-cli --help", async () => {
    const help = await npx(["memray-cli", "--help"]);
    expect(help.exitCode, String(help.stderr)).toBe(0);
    expect(help.stdout).toMatch(/^Usage: memray-cli \[options\] \[command\]/);
    expect(help.stdout).toMatch(/profile \[options\]/);
  });

  const runs: string[] = [];
  it("npx memray-cli profile: a local script profile of the built-in example, twice", async () => {
    for (const name of ["first", "second"]) {
      const run = await npx(["memray-cli", "profile", "--mode", "script", "--script", SCRIPT, "--name", name]);
      expect(run.exitCode, String(run.stderr)).toBe(0);
      const dir = String(run.stdout).trim().split("\n").at(-1)!;
      expect(dir).toMatch(new RegExp(`^runs/${name}-\\d{8}-\\d{6}`));
      const summary = JSON.parse(await readFile(path.join(project, dir, "summary.json"), "utf8"));
      expect(summary.requests).toHaveLength(5);
      expect(summary.profiling.memray_enabled).toBe(true);
      for (const file of ["flamegraph.html", "leaks.html", "temporal.html", "table.txt", "index.html"])
        expect(existsSync(path.join(project, dir, file))).toBe(true);
      runs.push(dir);
    }
    const list = await npx(["memray-cli", "runs", "list", "--json"]);
    expect(JSON.parse(String(list.stdout)).runs).toHaveLength(2);
  });

  it("npx memray-compare on the two runs", async () => {
    const text = await npx(["memray-compare", runs[0]!, runs[1]!]);
    expect([0, 1], String(text.stderr)).toContain(text.exitCode);
    expect(text.stdout).toMatch(/memray-compare/);
    const json = await npx(["memray-compare", runs[0]!, runs[1]!, "--format", "json"]);
    const report = JSON.parse(String(json.stdout));
    expect(report.baseline.run_id).toMatch(/^first-/);
    expect(report.candidate.run_id).toMatch(/^second-/);
    expect(typeof report.regression).toBe("boolean");
  });

  it("import { runProfile } from @alpiq/memray-core (and the docker, compare and reports entry points) in an ESM script", async () => {
    await writeFile(
      path.join(project, "use-the-libraries.mjs"),
      `import { runProfile, LocalTarget, createRunDir, summarySchema, MODE_RULES, detectServiceApp, detectServicePort, findServicePython, installMemray, resolveTarget } from "@alpiq/memray-core";
import { createDockerClient, DockerTarget, dockerTargetProvider, connectContainer } from "@alpiq/memray-docker";
import { loadRun, compareRuns, renderMarkdown, runCompareCommand } from "@alpiq/memray-compare";
import { renderRunIndex } from "@alpiq/memray-reports";
import { main, createDefaultDeps } from "@alpiq/memray-cli";

const runDir = await createRunDir({ outRoot: "library-runs", name: "library" });
const result = await runProfile({ mode: "script", script: ${JSON.stringify(SCRIPT)}, target: new LocalTarget(), runDir });
const report = compareRuns(await loadRun(${JSON.stringify(runs[0])}, "baseline"), await loadRun(runDir.path, "candidate"));
const docker = createDockerClient(); // constructs, does not connect
console.log(JSON.stringify({
  exitCode: result.exitCode,
  valid: summarySchema.safeParse(result.summary).success,
  requests: result.summary.requests.length,
  runDir: runDir.artifactPrefix,
  modes: Object.keys(MODE_RULES).length,
  markdown: renderMarkdown(report).split("\\n")[0],
  index: renderRunIndex(result.summary, ["summary.json"]).startsWith("<!doctype html>"),
  docker: [typeof docker.ping, typeof DockerTarget.connect, typeof dockerTargetProvider, typeof connectContainer, typeof DockerTarget.prototype.forwardPort],
  targets: [typeof detectServiceApp, typeof detectServicePort, typeof findServicePython, typeof installMemray, typeof resolveTarget],
  compare: typeof runCompareCommand,
  cli: [typeof main, typeof createDefaultDeps],
}));
`,
    );
    const result = await execa(process.execPath, ["use-the-libraries.mjs"], { cwd: project, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const output = JSON.parse(String(result.stdout).trim().split("\n").at(-1)!);
    expect(output).toMatchObject({ exitCode: 0, valid: true, requests: 5, modes: 10, index: true, compare: "function", cli: ["function", "function"] });
    expect(output.runDir).toMatch(/^library-runs\/library-/);
    expect(output.markdown).toMatch(/^### memray-compare/);
    expect(output.docker).toEqual(Array(5).fill("function"));
    expect(output.targets).toEqual(Array(5).fill("function"));
  });
});
