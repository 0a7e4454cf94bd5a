import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI_OUTPUT_SCHEMAS, compareReportSchema, summarySchema } from "@alpiq/memray-core";
import { watchStderr } from "@alpiq/memray-test-support";
import { repoRoot, runCli, startCli } from "./cli-runner.js";

// `profile --repeat N` through the built CLI on this host: N runs, their directories on stdout (one a
// line) or in --json's runs, the exit code the highest of the runs', and memray-compare's multi-run
// form taking them as they are printed.

const compareBin = path.join(repoRoot, "packages/compare/dist/memray-compare.mjs");
const RUN_DIR = (name: string, index: number) => new RegExp(`^runs/${name}-${index}-\\d{8}-\\d{6}$`);

const validateProfileJson = new Ajv2020({ strict: false }).compile(
  JSON.parse(readFileSync(path.join(repoRoot, "packages/core/schema/cli-profile.schema.json"), "utf8")),
);

describe("profile --repeat N", () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-repeat-"));
    await writeFile(path.join(cwd, "load.py"), "data = bytearray(2 * 1024 * 1024)\n");
    // Fails on its second run only (a counter file beside it): a flaky workload.
    await writeFile(
      path.join(cwd, "flaky.py"),
      `import pathlib, sys
counter = pathlib.Path(__file__).with_name("flaky.count")
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
sys.exit(1 if n == 2 else 0)
`,
    );
  });

  it("makes N runs named NAME-i-<timestamp>, one run directory a line on stdout, each a full run", async () => {
    const run = await runCli(["profile", "--script", "load.py", "--name", "base", "--repeat", "3", "--quiet"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const dirs = run.stdout.trim().split("\n");
    expect(dirs).toHaveLength(3);
    dirs.forEach((dir, i) => expect(dir).toMatch(RUN_DIR("base", i + 1)));
    expect(run.lastLine).toBe(dirs[2]);
    for (const dir of dirs) {
      const summary = summarySchema.parse(JSON.parse(await readFile(path.join(cwd, dir, "summary.json"), "utf8")));
      expect(summary.run_id).toBe(path.basename(dir));
      expect(summary.exit_code).toBe(0);
      expect(existsSync(path.join(cwd, dir, "index.html"))).toBe(true);
    }
    // Without --quiet each run is announced on stderr; stdout is the same three lines.
    const loud = await runCli(["profile", "--script", "load.py", "--repeat", "2"], cwd);
    expect(loud.stderr.match(/^run \d of 2$/gm)).toEqual(["run 1 of 2", "run 2 of 2"]);
    expect(
      loud.stdout
        .trim()
        .split("\n")
        .map((line) => line.replace(/\d{8}-\d{6}$/, "TS")),
    ).toEqual(["runs/load-1-TS", "runs/load-2-TS"]);
  });

  it("--json: one object, runs listed in order, the last one's run_dir and summary at the top (cli-profile.schema.json)", async () => {
    const run = await runCli(["profile", "--script", "load.py", "--name", "js", "--repeat", "2", "--json"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(validateProfileJson(output), JSON.stringify(validateProfileJson.errors)).toBe(true);
    expect(CLI_OUTPUT_SCHEMAS.profile.safeParse(output).success).toBe(true);
    expect(output.runs.map((entry: { run_dir: string }) => entry.run_dir)).toEqual([
      expect.stringMatching(RUN_DIR("js", 1)),
      expect.stringMatching(RUN_DIR("js", 2)),
    ]);
    expect(output.run_dir).toBe(output.runs[1].run_dir);
    expect(output.summary).toEqual(output.runs[1].summary);
    expect(output.error).toBeUndefined();
    // Without --repeat the object is what it always was: no runs.
    const single = JSON.parse((await runCli(["profile", "--script", "load.py", "--json"], cwd)).stdout);
    expect(Object.keys(single).sort()).toEqual(["run_dir", "summary"]);
    expect(single.run_dir).toMatch(/^runs\/load-\d{8}-\d{6}$/);
  });

  it("memray-compare --baseline $(profile --repeat) --candidate $(profile --repeat): the directories as printed", async () => {
    const sides = await Promise.all(
      ["main", "pr"].map(async (name) => (await runCli(["profile", "--script", "load.py", "--name", name, "--repeat", "2", "--quiet"], cwd)).stdout),
    );
    // What the shell does with $(...): split on whitespace.
    const [baseline, candidate] = sides.map((stdout) => stdout.trim().split(/\s+/));
    const compare = await execa(process.execPath, [compareBin, "--baseline", ...baseline!, "--candidate", ...candidate!, "--format", "json"], {
      cwd,
      reject: false,
      env: { GITHUB_OUTPUT: "", GITHUB_STEP_SUMMARY: "" },
    });
    expect(compare.exitCode, String(compare.stderr)).toBe(0);
    const report = compareReportSchema.parse(JSON.parse(String(compare.stdout)));
    expect(report.baseline_runs?.map((ref) => ref.run_id)).toEqual(baseline!.map((dir) => path.basename(dir)));
    expect(report.candidate_runs?.map((ref) => ref.run_id)).toEqual(candidate!.map((dir) => path.basename(dir)));
  });

  it("a workload failing in one run: every run is still made, exit 1 (the highest)", async () => {
    const run = await runCli(["profile", "--script", "flaky.py", "--repeat", "3", "--quiet"], cwd);
    expect(run.exitCode, run.stderr).toBe(1);
    const dirs = run.stdout.trim().split("\n");
    expect(dirs).toHaveLength(3);
    const codes = await Promise.all(dirs.map(async (dir) => JSON.parse(await readFile(path.join(cwd, dir, "summary.json"), "utf8")).exit_code));
    expect(codes).toEqual([0, 1, 0]);
  });

  it("a run that cannot start after others did: the runs made stay listed, --json says why (error), exit 2", async () => {
    await writeFile(path.join(cwd, "once.py"), "import os\nos.remove(__file__)\n");
    const run = await runCli(["profile", "--script", "once.py", "--repeat", "3", "--json"], cwd);
    expect(run.exitCode).toBe(2);
    const output = JSON.parse(run.stdout);
    expect(validateProfileJson(output), JSON.stringify(validateProfileJson.errors)).toBe(true);
    expect(output.runs).toHaveLength(1);
    expect(output.run_dir).toMatch(RUN_DIR("once", 1));
    expect(output.error).toMatchObject({ code: "SCRIPT_NOT_FOUND", exit_code: 2 });
    expect(run.stderr).toMatch(/^run 2 of 3\n[\s\S]*error: Script not found: once\.py/m);
    expect(run.stderr).not.toMatch(/run 3 of 3/);
  });

  it("Ctrl-C during run 2 of 3 ends the repeat: run 2 keeps what it measured, no run 3, exit 130", async () => {
    await writeFile(path.join(cwd, "slow.py"), 'import time\nblob = bytearray(4 * 1024 * 1024)\nprint("READY", flush=True)\ntime.sleep(60)\n');
    const child = startCli(["profile", "--script", "slow.py", "--repeat", "3", "--timeout", "5"], cwd);
    const stderr = watchStderr(child);
    await stderr.waitFor(/run 2 of 3[\s\S]*READY/, 120);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, stderr.text()).toBe(130);
    const dirs = String(result.stdout).trim().split("\n");
    expect(dirs).toHaveLength(2);
    const second = JSON.parse(await readFile(path.join(cwd, dirs[1]!, "summary.json"), "utf8"));
    expect(second.error_code).toBe("INTERRUPTED");
    // Run 1 reached its --timeout (exit 1) and the repeat went on; the interrupt stopped it.
    expect(JSON.parse(await readFile(path.join(cwd, dirs[0]!, "summary.json"), "utf8")).error_code).toBe("WORKLOAD_TIMEOUT");
    expect(stderr.text()).toMatch(/stopped after run 2 of 3 \(exit 130\)/);
    expect(stderr.text()).not.toMatch(/run 3 of 3/);
  });

  it("bad values are refused before any run (exit 2): 0, 101, a word, a live mode, a name too long for -i", async () => {
    for (const [args, message] of [
      [["--repeat", "0"], /--repeat expects a number of runs from 1 to 100, received "0"/],
      [["--repeat", "101"], /--repeat expects a number of runs from 1 to 100/],
      [["--repeat", "three"], /--repeat expects a number of runs from 1 to 100, received "three"/],
      [["--mode", "live-remote", "--repeat", "2"], /--repeat 2 does not apply to mode live-remote/],
      [["--name", "n".repeat(198), "--repeat", "10"], /--name is 198 characters long; with --repeat 10 a run name may have at most 197/],
    ] as const) {
      const run = await runCli(["profile", "--script", "load.py", ...args], cwd);
      expect(run.exitCode, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
    }
    expect(existsSync(path.join(cwd, "runs", `${"n".repeat(198)}-1`))).toBe(false);
  });

  it("the recipes take --repeat too (debug/memray-local); one that makes no run refuses it", async () => {
    const run = await runCli(["run", "debug/memray-local", "-e", "script_path=load.py", "--name", "recipe", "--repeat", "2", "--quiet"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([expect.stringMatching(RUN_DIR("recipe", 1)), expect.stringMatching(RUN_DIR("recipe", 2))]);
    const install = await runCli(["run", "debug/memray-install", "-e", "container_target=c", "--repeat", "2"], cwd);
    expect(install.exitCode).toBe(2);
    expect(install.stderr).toMatch(/--repeat applies to the profiling recipes; debug\/memray-install makes no run/);
  });
});
