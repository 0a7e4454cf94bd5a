import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { repoRoot } from "./cli-runner.js";
import { engineReady, installMemray } from "./engine/engine-env.js";
import { installPackedTarballs, runProjectScript } from "./helpers/packed-project.js";

// The packages as users get them: `npm pack` of every package, installed from the tarballs into an
// empty project outside the workspace (dependencies from the registry), then used the documented
// ways: `npx memray-cli`, `npx memray-compare`, `import` from a small ESM script, and profile() from
// code (typed: a TypeScript consumer compiles against the published declarations). The Python
// harness must come with @alpiq/memray-core. Needs the packages built (dist/). The project is packed
// and installed once for the file: the host tests use it, then the engine tests (with the fixture
// stack) profile a container through profile() from it.

const SCRIPT = "test-cases/example-sequential-requests.py";
const CONTAINER = "local-forecast-1";

let project: string;

beforeAll(async () => {
  project = await installPackedTarballs();
});

describe("packed tarballs installed in an empty project", () => {
  const npx = (args: string[], options: { env?: Record<string, string> } = {}) =>
    execa("npx", args, { cwd: project, reject: false, env: { NO_COLOR: "1", ...options.env } });

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

  it("profile() from @alpiq/memray-cli on this host: the run directory, the summary, the exit code; a typed error for a bad script", async () => {
    const output = await runProjectScript(
      project,
      "use-profile.mjs",
      `import { profile, MemrayError } from "@alpiq/memray-cli";

const result = await profile({ mode: "script", script: ${JSON.stringify(SCRIPT)}, name: "api" });
let failure;
try {
  await profile({ mode: "script", script: "nowhere.py" });
} catch (error) {
  failure = { memrayError: error instanceof MemrayError, code: error.code, exitCode: error.exitCode, hint: error.hint };
}
console.log(JSON.stringify({ runDir: result.runDir, runId: result.runId, exitCode: result.exitCode, summary: result.summary, failure }));
`,
    );
    expect(output).toMatchObject({ exitCode: 0, failure: { memrayError: true, code: "SCRIPT_NOT_FOUND", exitCode: 2 } });
    expect(output.runDir).toBe(path.join(project, "runs", String(output.runId)));
    expect(output.runId).toMatch(/^api-\d{8}-\d{6}$/);
    const summary = summarySchema.parse(output.summary);
    expect(summary.requests).toHaveLength(5);
    expect(JSON.parse(await readFile(path.join(String(output.runDir), "summary.json"), "utf8"))).toEqual(output.summary);
  });

  it("a TypeScript consumer compiles against the published declarations (strict, no skipLibCheck)", async () => {
    await writeFile(
      path.join(project, "consumer.ts"),
      `import { profile, MemrayError, type ProfileApiOptions, type ProfileApiResult, type ProfileProgress } from "@alpiq/memray-cli";

const options: ProfileApiOptions = { target: "local-forecast-1", mode: "endpoint", endpoint: "/forecast", requests: 3, onProgress: (event: ProfileProgress) => void event.type };
export async function run(): Promise<number> {
  try {
    const result: ProfileApiResult = await profile(options);
    const likely: boolean = result.summary.leak_indicators.likely_leak;
    return likely ? 1 : result.exitCode;
  } catch (error) {
    if (error instanceof MemrayError) return error.exitCode;
    throw error;
  }
}
// @ts-expect-error: a mode that does not exist
void profile({ mode: "snapshots" });
`,
    );
    await writeFile(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          types: ["node"],
          typeRoots: [path.join(repoRoot, "node_modules/@types")],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = await execa(process.execPath, [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: project, reject: false });
    expect(tsc.exitCode, String(tsc.stdout)).toBe(0);
  });
});

// The "done when": a script in an empty project that installed the packed tarballs profiles a
// container with profile({...}) and gets the summary back. The same registry and clients as the CLI
// (createDefaultDeps): the container found by name, its interpreter and WSGI app read from its command.
// Kept after the host tests: their `runs list` counts the project's runs, and this block adds one.
describe.runIf(await engineReady([CONTAINER]))(`profile() from the packed tarballs on ${CONTAINER}`, () => {
  beforeAll(async () => {
    await installMemray(CONTAINER, project);
  });

  it("an endpoint run: exit code 0, the summary with the request's status and the container as target, the run directory on this host", async () => {
    const output = await runProjectScript(
      project,
      "profile-container.mjs",
      `import { profile } from "@alpiq/memray-cli";

const steps = [];
const { runDir, summary, exitCode } = await profile({
  target: ${JSON.stringify(CONTAINER)},
  mode: "endpoint",
  endpoint: "/forecast",
  onProgress: (event) => event.type === "step" && steps.push(event.message),
});
console.log(JSON.stringify({ runDir, summary, exitCode, steps }));
`,
    );
    expect(output.exitCode).toBe(0);
    const summary = summarySchema.parse(output.summary);
    expect(summary.mode).toBe("endpoint");
    expect(summary.requests).toHaveLength(1);
    expect(summary.requests[0]).toMatchObject({ request_num: 1, status: 200 });
    expect(summary.target).toMatchObject({ kind: "docker", name: CONTAINER, service_port: 5000 });
    expect(summary.profiling.memray_enabled).toBe(true);
    expect(output.steps).toContainEqual(expect.stringMatching(new RegExp(`^connecting to .*${CONTAINER}$`)));
    const runDir = String(output.runDir);
    expect(path.dirname(runDir)).toBe(path.join(project, "runs"));
    expect(JSON.parse(await readFile(path.join(runDir, "summary.json"), "utf8"))).toEqual(output.summary);
    expect(await readFile(path.join(runDir, "table.txt"), "utf8")).toMatch(/forecast_service\/app\.py:\d+ +compute_forecast/);
    for (const file of ["session.bin", "flamegraph.html", "index.html"]) expect(existsSync(path.join(runDir, file)), file).toBe(true);
  });

  it("a container that does not exist: a typed error (CONTAINER_NOT_FOUND, exit code 3) before any run", async () => {
    const output = await runProjectScript(
      project,
      "profile-missing.mjs",
      `import { profile, MemrayError } from "@alpiq/memray-cli";

try {
  await profile({ target: "no-such-container-memray-test", mode: "endpoint", endpoint: "/forecast", out: "missing-runs" });
  console.log(JSON.stringify({ resolved: true }));
} catch (error) {
  console.log(JSON.stringify({ memrayError: error instanceof MemrayError, code: error.code, exitCode: error.exitCode, hint: error.hint }));
}
`,
    );
    expect(output).toMatchObject({ memrayError: true, code: "CONTAINER_NOT_FOUND", exitCode: 3 });
    expect(existsSync(path.join(project, "missing-runs"))).toBe(false);
  });
});
