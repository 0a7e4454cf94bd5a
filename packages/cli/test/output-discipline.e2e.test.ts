import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI_OUTPUT_SCHEMAS, type Summary } from "@alpiq/memray-core";
import { cliBin, repoRoot, runCli, workspaceWithTestCases } from "./cli-runner.js";
import { syntheticWheel } from "./helpers/synthetic-wheel.js";

// Output discipline: --quiet, NO_COLOR and non-TTY plain text, --json on every command (checked
// against the JSON Schemas checked in under packages/core/schema), and the recipes' common flags.

const SCRIPT = "test-cases/example-sequential-requests.py";
const ANSI = /\u001b\[/;

/** A validator of the checked-in JSON Schema `schema/<file>`. */
function validator(file: string) {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, "packages/core/schema", file), "utf8"));
  const validate = new Ajv2020({ strict: false }).compile(schema);
  return (value: unknown) => {
    const ok = validate(value);
    expect(ok, `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
  };
}

/** The built CLI with exactly this environment (no inherited NO_COLOR/FORCE_COLOR), no TTY. */
async function cliWithEnv(args: string[], cwd: string, env: Record<string, string>) {
  const result = await execa(process.execPath, [cliBin, ...args], {
    cwd,
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe("--json: one object per command, with the shape of core's schema", () => {
  let cwd: string;
  let runDir: string;
  let summary: Summary;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    const run = await runCli(["profile", "--script", SCRIPT, "--json"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout);
    validator("cli-profile.schema.json")(output);
    expect(CLI_OUTPUT_SCHEMAS.profile.safeParse(output).success).toBe(true);
    runDir = output.run_dir;
    summary = output.summary;
  });

  it("runs list, show and open", async () => {
    const list = await runCli(["runs", "list", "--json"], cwd);
    const listed = JSON.parse(list.stdout);
    validator("cli-runs-list.schema.json")(listed);
    expect(listed.runs[0]).toMatchObject({
      run_dir: runDir,
      run_id: summary.run_id,
      mode: "script",
      target: "local",
      leak_verdict: "likely leak",
      status: "ok",
    });
    expect(listed.runs[0].peak_memory_bytes).toBeGreaterThan(48 * 1024 * 1024);

    const show = JSON.parse((await runCli(["runs", "show", runDir, "--json"], cwd)).stdout);
    validator("cli-runs-show.schema.json")(show);
    expect(show.files).toContain("flamegraph.html");

    const open = await runCli(["runs", "open", summary.run_id, "--json"], cwd, { PATH: "/nonexistent" });
    validator("cli-runs-open.schema.json")(JSON.parse(open.stdout));
    expect(JSON.parse(open.stdout)).toMatchObject({ run_dir: runDir, opened: false });
  });

  it("compare (compare-report.schema.json)", async () => {
    const compare = await runCli(["compare", runDir, runDir, "--json"], cwd);
    expect(compare.exitCode, compare.stderr).toBe(0);
    validator("compare-report.schema.json")(JSON.parse(compare.stdout));
  });

  it("view prints {url, host, port, runs_dir} once it listens", async () => {
    const child = execa(process.execPath, [cliBin, "view", "--port", "0", "--json"], { cwd, reject: false, buffer: false });
    const line = await new Promise<string>((resolve) => {
      let text = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        text += chunk;
        if (text.includes("\n")) resolve(text.split("\n")[0]!);
      });
    });
    child.kill("SIGTERM");
    expect((await child).exitCode).toBe(0);
    const output = JSON.parse(line);
    validator("cli-view.schema.json")(output);
    expect(output).toMatchObject({ host: "127.0.0.1", runs_dir: "runs" });
  });

  it("debug-build --verify (cli-debug-build.schema.json)", async () => {
    await writeFile(path.join(cwd, "debug.whl"), syntheticWheel(true));
    const verify = await runCli(["debug-build", "--verify", "debug.whl", "--json"], cwd);
    expect(verify.exitCode, verify.stderr).toBe(0);
    validator("cli-debug-build.schema.json")(JSON.parse(verify.stdout));
  });

  it("a failure before any result is {error: {code, message, exit_code, hint}} on stdout, the message on stderr", async () => {
    for (const args of [
      ["run", "debug/nope", "--json"],
      ["profile", "--script", "missing.py", "--json"],
      ["profile", "--script", SCRIPT, "--no-such-flag", "--json"],
      ["runs", "show", "nope", "--json"],
    ]) {
      const run = await runCli(args, cwd);
      expect(run.exitCode, args.join(" ")).toBe(2);
      const output = JSON.parse(run.stdout);
      validator("cli-error.schema.json")(output);
      expect(output.error.exit_code).toBe(2);
      expect(run.stderr).toMatch(/error:/);
    }
  });
});

describe("--quiet: nothing but the run directory (and errors)", () => {
  it("profile --quiet prints one line, the run directory, and nothing on stderr", async () => {
    const cwd = await workspaceWithTestCases();
    const run = await runCli(["profile", "--script", SCRIPT, "--quiet"], cwd);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^runs\/example-sequential-requests-\d{8}-\d{6}(-\d+)?$/);
    expect(run.stderr).toBe("");
  });

  it("a failing workload under --quiet prints its error on stderr and the run directory on stdout", async () => {
    const cwd = await workspaceWithTestCases();
    await writeFile(path.join(cwd, "fails.py"), "raise ValueError('bad input')\n");
    const run = await runCli(["profile", "--script", "fails.py", "--quiet"], cwd);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^runs\/fails-\d{8}-\d{6}(-\d+)?$/);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^workload failed: .*ValueError: bad input$/);
  });

  it("bad usage under --quiet still says what is wrong (exit 2)", async () => {
    const cwd = await workspaceWithTestCases();
    const run = await runCli(["profile", "--script", "missing.py", "--quiet"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/Script not found: missing\.py/);
  });
});

describe("plain text unless stderr is a terminal; NO_COLOR always plain", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
  });

  it("non-TTY stderr: no escape codes, even without NO_COLOR (and with CI set)", async () => {
    const run = await cliWithEnv(["profile", "--script", "missing.py"], cwd, { CI: "true" });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/error: Script not found/);
    expect(run.stderr).not.toMatch(ANSI);
  });

  it("FORCE_COLOR colours it (so the check above can fail), NO_COLOR wins over FORCE_COLOR", async () => {
    expect((await cliWithEnv(["profile", "--script", "missing.py"], cwd, { FORCE_COLOR: "1" })).stderr).toMatch(ANSI);
    expect((await cliWithEnv(["profile", "--script", "missing.py"], cwd, { FORCE_COLOR: "1", NO_COLOR: "1" })).stderr).not.toMatch(ANSI);
  });

  it("a whole profile run and the runs table stay plain", async () => {
    const run = await cliWithEnv(["profile", "--script", SCRIPT], cwd, { CI: "true" });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(ANSI);
    const list = await cliWithEnv(["runs", "list"], cwd, {});
    expect(list.stdout).toMatch(/^run +mode +target +peak memory +RSS delta +leak verdict +date\n/);
    expect(list.stdout).not.toMatch(ANSI);
  });
});

describe("recipes: --out, --name, --json, --quiet everywhere; True/False normalised; strict", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
  });

  it("run debug/memray-local --out --name --quiet; trace_allocators=0 is read as False with a note", async () => {
    const quiet = await runCli(
      ["run", "debug/memray-local", "-e", `script_path=${SCRIPT}`, "-e", "trace_allocators=0", "--out", "elsewhere", "--name", "mine", "--quiet"],
      cwd,
    );
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^elsewhere\/mine-\d{8}-\d{6}(-\d+)?$/);
    expect(quiet.stderr).toBe("");
    const summary = JSON.parse(readFileSync(path.join(cwd, quiet.stdout.trim(), "summary.json"), "utf8")) as Summary;
    expect(summary.profiling.trace_python_allocators).toBe(false);

    const noted = await runCli(
      ["run", "debug/memray-local", "-e", `script_path=${SCRIPT}`, "-e", "trace_allocators=TRUE", "-e", "run_name=noted", "--json"],
      cwd,
    );
    expect(noted.exitCode, noted.stderr).toBe(0);
    expect(noted.stderr).toMatch(/note: -e trace_allocators=TRUE read as True \(the seed spells it True or False\)/);
    expect(JSON.parse(noted.stdout).summary.profiling.trace_python_allocators).toBe(true);
    expect(JSON.parse(noted.stdout).run_dir).toMatch(/^runs\/noted-/);
  });

  it("profile --trace-allocators false is read as False with a note; True/False get none", async () => {
    const run = await runCli(["profile", "--script", SCRIPT, "--trace-allocators", "false", "--json"], cwd);
    expect(run.stderr).toMatch(/note: --trace-allocators false read as False/);
    expect(JSON.parse(run.stdout).summary.profiling.trace_python_allocators).toBe(false);
    const canonical = await runCli(["profile", "--script", SCRIPT, "--trace-allocators", "False", "--quiet"], cwd);
    expect(canonical.stderr).toBe("");
  });

  it("every recipe takes --out --name --json --quiet (those that write no run directory say so)", async () => {
    const build = await runCli(["run", "debug/memray-debug-build", "-e", "source_dir=nope", "--out", "o", "--name", "n", "--json", "--quiet"], cwd);
    expect(build.exitCode).toBe(2);
    expect(JSON.parse(build.stdout).error.code).toBe("DEBUG_BUILD_SOURCE_INVALID");
    const menu = await runCli(["run", "debug/menu", "--out", "o", "--name", "n", "--json"], cwd);
    expect(menu.exitCode).toBe(2);
    expect(JSON.parse(menu.stdout).error.message).toMatch(/menu needs an interactive terminal/);
    const sequence = await runCli(["run", "debug/memray-sequence", "-e", "request_count=0", "--out", "o", "--name", "n", "--json", "--quiet"], cwd);
    expect(sequence.exitCode).toBe(2);
    expect(JSON.parse(sequence.stdout).error.message).toMatch(/-e request_count/);
  });

  it("an unknown recipe, -e key or mode exits 2 and lists the valid ones", async () => {
    const recipe = await runCli(["run", "debug/memray-nope"], cwd);
    expect(recipe.exitCode).toBe(2);
    expect(recipe.stderr).toMatch(
      /known recipes: debug\/memray-container, debug\/memray-sequence, debug\/memray-attach, debug\/memray-local, debug\/memray-install, debug\/memray-debug-build, debug\/menu/,
    );
    const key = await runCli(["run", "debug/memray-local", "-e", "container_target=local-forecast-1"], cwd);
    expect(key.exitCode).toBe(2);
    expect(key.stderr).toMatch(/recipe debug\/memray-local has no -e container_target; it takes: profile_mode, script_path/);
    const mode = await runCli(["run", "debug/memray-container", "-e", "container_target=local-forecast-1", "-e", "profile_mode=leak"], cwd);
    expect(mode.exitCode).toBe(2);
    expect(mode.stderr).toMatch(
      /-e profile_mode expects one of snapshot, endpoint, script, live-web, live-remote, stats, leaks, objects, sequence, attach, received "leak"/,
    );
    const flagMode = await runCli(["profile", "--mode", "leak"], cwd);
    expect(flagMode.exitCode).toBe(2);
    expect(flagMode.stderr).toMatch(/--mode expects one of snapshot, endpoint, script, live-web, live-remote, stats, leaks, objects, sequence, attach/);
    const bool = await runCli(["run", "debug/memray-install", "-e", "container_target=x", "-e", "debug_symbols=perhaps"], cwd);
    expect(bool.exitCode).toBe(2);
    expect(bool.stderr).toMatch(/-e debug_symbols expects True or False, received "perhaps"/);
  });
});
