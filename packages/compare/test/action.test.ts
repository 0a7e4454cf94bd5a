import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { compareReportSchema } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupTmpDirs, fakeSummary, fakeTableFor, tmpDir, writeRun } from "./fake-runs.js";
import { parseGithubOutput } from "./github-files.js";
import { harnessAvailable } from "./harness-runs.js";

// The composite action at the repository root (action.yml): parsed, and its steps' scripts run as GitHub's
// runner runs them (`bash --noprofile --norc -eo pipefail FILE`, env from the step's `env:` with the
// ${{ }} expressions filled in, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY set to files). Not run here: the
// npm ci / npx download of the install step and actions/upload-artifact (both need GitHub).

const exec = promisify(execFile);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(packageDir, "..", "..");
const npmBin = path.join(packageDir, "bin", "memray-compare.mjs");
const cliBin = path.join(repoRoot, "packages", "cli", "bin", "memray-cli.js");

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  "working-directory"?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name: string;
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(await readFile(path.join(repoRoot, "action.yml"), "utf8")) as Action;
const step = (id: string): Step => {
  const found = action.runs.steps.find((s) => s.id === id);
  if (!found) throw new Error(`action.yml has no step with id ${id}`);
  return found;
};

interface Context {
  inputs: Record<string, string>;
  steps?: Record<string, Record<string, string>>;
}

/** Fill in ${{ inputs.X }} (given, else the action's default) and ${{ steps.ID.outputs.X }}; anything else fails the test. */
function evaluate(text: string, ctx: Context): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    const input = /^inputs\.([\w-]+)$/.exec(expr);
    if (input) {
      const name = input[1]!;
      if (!(name in action.inputs)) throw new Error(`action.yml uses undeclared input ${name}`);
      return ctx.inputs[name] ?? action.inputs[name]!.default ?? "";
    }
    const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (output) return ctx.steps?.[output[1]!]?.[output[2]!] ?? "";
    throw new Error(`the test does not evaluate \${{ ${expr} }}`);
  });
}

interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Run one `run:` step of the action as the runner does; `cwd` is the job's workspace. */
async function runStep(id: string, ctx: Context, cwd: string): Promise<StepResult> {
  const s = step(id);
  const dir = await tmpDir(`memray-action-${id}-`);
  const script = path.join(dir, "step.sh");
  const output = path.join(dir, "output");
  const summary = path.join(dir, "summary");
  await writeFile(script, s.run!);
  await writeFile(output, "");
  await writeFile(summary, "");
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: process.env["HOME"] ?? dir,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_ACTIONS: "true",
  };
  for (const [k, v] of Object.entries(s.env ?? {})) env[k] = evaluate(String(v), ctx);
  const workdir = path.resolve(cwd, evaluate(s["working-directory"] ?? ".", ctx));
  let code = 0;
  let stdout = "";
  let stderr = "";
  try {
    ({ stdout, stderr } = await exec("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd: workdir, env }));
  } catch (error) {
    const e = error as { code: unknown; stdout: string; stderr: string };
    if (typeof e.code !== "number") throw error;
    ({ code, stdout, stderr } = e as { code: number; stdout: string; stderr: string });
  }
  return { code, stdout, stderr, outputs: parseGithubOutput(await readFile(output, "utf8")), summary: await readFile(summary, "utf8") };
}

afterAll(cleanupTmpDirs);

describe("action.yml", () => {
  it("is a composite action with the gate's inputs and outputs", () => {
    expect(action.runs.using).toBe("composite");
    for (const input of ["command", "recipe", "runs", "baseline", "threshold", "min-bytes", "working-directory", "compare-bin", "fail-on-regression"]) {
      expect(action.inputs[input]?.description, input).toBeTruthy();
    }
    for (const out of ["regression", "max_growth_percent", "baseline", "candidate", "runs", "report"]) {
      expect(action.outputs[out]?.value, out).toMatch(/^\$\{\{ steps\.\w+\.outputs\.\w+ \}\}$/);
    }
    const upload = action.runs.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.with?.["path"]).toContain("steps.profile.outputs.runs");
    expect(upload?.if).toContain("always()");
  });

  it("passes inputs to scripts only through env (no ${{ }} inside a run script: no shell injection)", () => {
    for (const s of action.runs.steps.filter((x) => x.run)) {
      expect(s.run, s.id).not.toContain("${{");
      expect(s.shell, s.id).toBe("bash");
    }
  });

  describe("the compare step", () => {
    let ws: string;
    const compare = `${process.execPath} ${npmBin}`;
    const absolute = (...names: string[]) => names.map((n) => path.join(ws, n)).join("\n");

    beforeAll(async () => {
      ws = await tmpDir("memray-action-ws-");
      for (const [name, mb] of [
        ["base-1", 20],
        ["base-2", 23],
        ["base-3", 18],
        ["noisy-1", 22],
        ["noisy-2", 19],
        ["noisy-3", 24],
        ["big-1", 70],
        ["big-2", 72],
        ["big-3", 69],
      ] as const) {
        await writeRun(ws, `runs/${name}`, { summary: fakeSummary(mb, { run_id: name }), table: fakeTableFor(mb) });
      }
    });

    const ctx = (baseline: string, candidates: string, inputs: Record<string, string> = {}): Context => ({
      inputs: { baseline, ...inputs },
      steps: { install: { compare }, profile: { runs: candidates } },
    });

    it("a regression: the step succeeds (the verdict step fails the job), outputs and summary written", async () => {
      // Baseline relative to working-directory, separated by new lines and spaces as a user would type them.
      const r = await runStep("compare", ctx("runs/base-1 runs/base-2\nruns/base-3\n", absolute("runs/big-1", "runs/big-2", "runs/big-3")), ws);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.outputs).toMatchObject({
        regression: "true",
        baseline: absolute("runs/base-1", "runs/base-2", "runs/base-3"),
        candidate: absolute("runs/big-1", "runs/big-2", "runs/big-3"),
        exit_code: "1",
        report: path.join(ws, "memray-gate", "memray-compare.md"),
      });
      const report = compareReportSchema.parse(JSON.parse(await readFile(path.join(ws, "memray-gate", "memray-compare.json"), "utf8")));
      const pcts = report.metrics.filter((m) => m.gated && m.delta_pct !== null).map((m) => m.delta_pct!);
      expect(r.outputs["max_growth_percent"]).toBe(Math.max(...pcts).toFixed(1));
      expect(report.candidate_runs).toHaveLength(3);
      expect(r.summary).toMatch(/^### memray-compare: ❌ memory regression/);
      expect(r.summary).toContain("every candidate run above every baseline run");
      expect(r.summary.trimEnd()).toBe((await readFile(r.outputs["report"]!, "utf8")).trimEnd());

      const verdict = await runStep("verdict", { inputs: {}, steps: { compare: { exit_code: r.outputs["exit_code"]! } } }, ws);
      expect(verdict.code).toBe(1);
      expect(verdict.stdout).toContain("::error title=memray gate::memory regression");
    });

    it("noise within the baseline's spread: regression=false, the verdict step passes; thresholds are passed on", async () => {
      const noisy = absolute("runs/noisy-1", "runs/noisy-2", "runs/noisy-3");
      const r = await runStep("compare", ctx("runs/base-1 runs/base-2 runs/base-3", noisy), ws);
      expect(r.code).toBe(0);
      expect(r.outputs).toMatchObject({ regression: "false", exit_code: "0" });
      expect(r.summary).toContain("within baseline spread");
      expect((await runStep("verdict", { inputs: {}, steps: { compare: { exit_code: "0" } } }, ws)).code).toBe(0);

      const strict = await runStep("compare", ctx("runs/base-1", absolute("runs/noisy-3"), { threshold: "5 rss_delta=10", "min-bytes": "512KiB" }), ws);
      expect(strict.outputs).toMatchObject({ regression: "true", exit_code: "1" });
      expect(strict.summary).toContain("growth > 5% on a memory metric (rss_delta 10%); changes under 512.0 KiB are not flagged");
    });

    it("bad input: the step fails with memray-compare's exit 2 and its message", async () => {
      const r = await runStep("compare", ctx("runs/base-1 runs/nowhere", absolute("runs/big-1")), ws);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("memray-compare: The baseline run runs/nowhere does not exist");
      expect(r.outputs).toEqual({ exit_code: "2" });
    });
  });

  describe("the install step (without npm ci or a download)", () => {
    it("uses the project's own node_modules/.bin, or the standalone executable given as compare-bin", async () => {
      const ws = await tmpDir("memray-action-install-");
      await mkdir(path.join(ws, "node_modules", ".bin"), { recursive: true });
      await symlink(npmBin, path.join(ws, "node_modules", ".bin", "memray-compare"));
      await symlink(cliBin, path.join(ws, "node_modules", ".bin", "memray-cli"));
      const local = await runStep("install", { inputs: {} }, ws);
      expect(local.code).toBe(0);
      expect(local.outputs).toEqual({ cli: path.join(ws, "node_modules/.bin/memray-cli"), compare: path.join(ws, "node_modules/.bin/memray-compare") });
      const given = await runStep("install", { inputs: { "compare-bin": npmBin } }, ws);
      expect(given.outputs["compare"]).toBe(npmBin);

      const bare = await runStep("install", { inputs: { version: "9.9.9" } }, await tmpDir("memray-action-bare-"));
      expect(bare.outputs).toEqual({
        cli: "npx --yes --package=@alpiq/memray-cli@9.9.9 -- memray-cli",
        compare: "npx --yes --package=@alpiq/memray-compare@9.9.9 -- memray-compare",
      });
    });
  });

  describe("the profile step", () => {
    it("refuses both or neither of command and recipe, and a bad run count (exit 2)", async () => {
      const ws = await tmpDir("memray-action-profile-bad-");
      const steps = { install: { cli: "false" } };
      expect((await runStep("profile", { inputs: { command: "profile", recipe: "debug/memray-local" }, steps }, ws)).stdout).toContain("not both");
      expect((await runStep("profile", { inputs: {}, steps }, ws)).code).toBe(2);
      expect((await runStep("profile", { inputs: { command: "profile", runs: "0" }, steps }, ws)).stdout).toContain("runs must be a whole number");
    });

    it("asks memray-cli for the runs with --repeat and fails when it does not print them all", async () => {
      const ws = await tmpDir("memray-action-profile-repeat-");
      // A stand-in memray-cli: records its arguments, makes the run directories it is told to print.
      const fake = path.join(ws, "fake-cli.sh");
      await writeFile(
        fake,
        `printf '%s\\n' "$@" > args.txt
for i in $(seq 1 "$PRINT"); do mkdir -p "runs/$i"; echo '{}' > "runs/$i/summary.json"; echo "runs/$i"; done
exit "$CODE"
`,
      );
      const profile = (inputs: Record<string, string>, env: { PRINT: string; CODE: string }) =>
        runStep("profile", { inputs: { runs: "3", ...inputs }, steps: { install: { cli: `env PRINT=${env.PRINT} CODE=${env.CODE} bash ${fake}` } } }, ws);

      const ok = await profile({ command: "profile --mode script --script load.py" }, { PRINT: "3", CODE: "1" });
      expect(ok.code, ok.stdout).toBe(0);
      expect((await readFile(path.join(ws, "args.txt"), "utf8")).trim().split("\n")).toEqual([
        "profile",
        "--mode",
        "script",
        "--script",
        "load.py",
        "--name",
        "candidate",
        "--repeat",
        "3",
        "--quiet",
      ]);
      expect(ok.outputs["runs"]).toBe(["1", "2", "3"].map((i) => path.join(ws, "runs", i)).join("\n"));

      await profile({ recipe: "debug/memray-local -e script_path=load.py", name: "pr" }, { PRINT: "3", CODE: "0" });
      expect((await readFile(path.join(ws, "args.txt"), "utf8")).trim().split("\n")).toEqual([
        "run",
        "debug/memray-local",
        "-e",
        "script_path=load.py",
        "--name",
        "pr",
        "--repeat",
        "3",
        "--quiet",
      ]);

      const short = await profile({ command: "profile" }, { PRINT: "2", CODE: "0" });
      expect(short.code).toBe(3);
      expect(short.stdout).toContain("::error title=memray gate::memray-cli exited 0 with 2 of 3 run directories");
      const stopped = await profile({ command: "profile" }, { PRINT: "1", CODE: "130" });
      expect(stopped.code).toBe(130);
      expect(stopped.outputs).toEqual({});
    });
  });
});

const realCli = existsSync(path.join(repoRoot, "packages", "cli", "dist", "bin.js")) && (await harnessAvailable());

describe.skipIf(!realCli)("action.yml end to end with the real memray-cli (base and PR checkouts, two runs each)", () => {
  it("profile the base, profile the PR, compare: a 40 MiB step is a regression", async () => {
    const ws = await tmpDir("memray-action-e2e-");
    const workload = (mib: number) => `data = bytearray(${mib} * 1024 * 1024)\n`;
    await mkdir(path.join(ws, "base"));
    await writeFile(path.join(ws, "base", "load.py"), workload(5));
    await writeFile(path.join(ws, "load.py"), workload(45));
    const install = { cli: `${process.execPath} ${cliBin}`, compare: `${process.execPath} ${npmBin}` };
    const command = "profile --mode script --script load.py --local";
    const [base, pr] = await Promise.all([
      runStep("profile", { inputs: { command, runs: "2", name: "baseline", "working-directory": "base" }, steps: { install } }, ws),
      runStep("profile", { inputs: { command, runs: "2" }, steps: { install } }, ws),
    ]);
    expect(base.stderr).not.toMatch(/::error/);
    expect(base.code).toBe(0);
    expect(pr.code).toBe(0);
    const baseRuns = base.outputs["runs"]!.split("\n");
    expect(baseRuns).toHaveLength(2);
    for (const dir of [...baseRuns, ...pr.outputs["runs"]!.split("\n")]) {
      expect(path.isAbsolute(dir)).toBe(true);
      expect(existsSync(path.join(dir, "summary.json"))).toBe(true);
    }
    expect(baseRuns.every((d) => d.startsWith(path.join(ws, "base", "runs", "baseline-")))).toBe(true);

    const gate = await runStep("compare", { inputs: { baseline: base.outputs["runs"]! }, steps: { install, profile: { runs: pr.outputs["runs"]! } } }, ws);
    expect(gate.code).toBe(0);
    expect(gate.outputs).toMatchObject({ regression: "true", exit_code: "1", baseline: base.outputs["runs"], candidate: pr.outputs["runs"] });
    expect(Number(gate.outputs["max_growth_percent"])).toBeGreaterThan(100);
    expect(gate.summary).toContain("load.py:1");
  }, 180_000);
});

describe("the example workflows (docs/examples): the fork-safe pattern", () => {
  interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { if?: string; permissions?: unknown; steps: Step[] }>;
  }
  const read = async (file: string) => parse(await readFile(path.join(repoRoot, "docs", "examples", file), "utf8")) as Workflow;

  it("measures in a pull_request job with a read-only token and uploads the report with the PR number", async () => {
    const gate = await read("memray-gate.yml");
    expect(Object.keys(gate.on)).toEqual(["pull_request"]);
    expect(gate.permissions).toEqual({ contents: "read" });
    const [job] = Object.values(gate.jobs);
    expect(job!.permissions).toBeUndefined();
    const steps = job!.steps;
    const index = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const base = steps.find((s) => s.id === "base")!;
    const candidate = steps.find((s) => s.id === "gate")!;
    expect(base.uses).toBe("./");
    expect(candidate.with?.["baseline"]).toBe("${{ steps.base.outputs.runs }}");
    expect(Number(candidate.with?.["runs"])).toBeGreaterThanOrEqual(3);
    // The PR number is saved before the gate can fail, and uploaded whatever the verdict.
    expect(index((s) => s.run?.includes("pr-number") ?? false)).toBeLessThan(index((s) => s.id === "gate"));
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@") && s.with?.["name"] === "memray-report")!;
    expect(upload.if).toBe("always()");
    expect(upload.with?.["path"]).toBe("memray-gate/");
    for (const s of steps) if (s.uses?.startsWith("actions/checkout@")) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  it("comments from a workflow_run job that never runs the pull request's code", async () => {
    const gate = await read("memray-gate.yml");
    const comment = await read("memray-comment.yml");
    expect(comment.on).toEqual({ workflow_run: { workflows: [gate.name], types: ["completed"] } });
    expect(comment.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    const [job] = Object.values(comment.jobs);
    expect(job!.if).toContain("github.event.workflow_run.event == 'pull_request'");
    expect(job!.steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
    const download = job!.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))!;
    expect(download.with).toMatchObject({ name: "memray-report", "run-id": "${{ github.event.workflow_run.id }}" });
    const script = job!.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!.with!["script"]!;
    expect(script).toContain("/^[0-9]{1,10}$/.test(number)");
    expect(script).toContain("pull.head.sha !== run.head_sha");
  });
});
