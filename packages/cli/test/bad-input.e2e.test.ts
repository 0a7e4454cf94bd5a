import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { RUN_FILE_BOUNDS, type Summary } from "@alpiq/memray-core";
import { handmadeRun, runCli } from "./cli-runner.js";

async function scratch(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "memray-cli-bad-"));
}

async function writeScript(dir: string, name: string, body: string): Promise<string> {
  await writeFile(path.join(dir, name), body);
  return name;
}

async function summaryOf(cwd: string, runDir: string): Promise<Summary> {
  return JSON.parse(await readFile(path.join(cwd, runDir, "summary.json"), "utf8"));
}

const REPORTS = ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt"];

describe("bad input: clear message, documented exit code, nothing produced is lost", () => {
  it("a missing script exits 2 and creates no run directory", async () => {
    const cwd = await scratch();
    const run = await runCli(["profile", "--mode", "script", "--script", "nope.py"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/Script not found: nope\.py/);
    expect(existsSync(path.join(cwd, "runs"))).toBe(false);
  });

  it("a directory as the script exits 2", async () => {
    const cwd = await scratch();
    await mkdir(path.join(cwd, "cases"));
    const run = await runCli(["profile", "--script", "cases"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/is a directory/);
  });

  it("sys.exit(3) exits 1 with summary.exit_code 3, error set and every report made", async () => {
    const cwd = await scratch();
    const script = await writeScript(cwd, "exits.py", "import sys\nblob = bytearray(4 * 1024 * 1024)\nsys.exit(3)\n");
    const run = await runCli(["profile", "--script", script], cwd);
    expect(run.exitCode, run.stderr).toBe(1);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.exit_code).toBe(3);
    expect(summary.error).toMatch(/3/);
    for (const report of REPORTS) expect((await stat(path.join(cwd, run.lastLine, report))).size).toBeGreaterThan(100);
    expect(summary.top_allocators[0]?.file).toBe("exits.py:2");
  });

  it("an exception exits 1 with its type in the error and the capture kept", async () => {
    const cwd = await scratch();
    const script = await writeScript(cwd, "raises.py", "data = [0] * 100000\nraise ValueError('bad forecast input')\n");
    const run = await runCli(["profile", "--script", script], cwd);
    expect(run.exitCode).toBe(1);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.error).toMatch(/ValueError: bad forecast input/);
    expect(summary.exit_code).not.toBe(0);
    expect(existsSync(path.join(cwd, run.lastLine, "session.bin"))).toBe(true);
    expect(existsSync(path.join(cwd, run.lastLine, "flamegraph.html"))).toBe(true);
  });

  it("a Python interpreter that does not exist exits 3 and says how to fix it", async () => {
    const cwd = await scratch();
    const script = await writeScript(cwd, "ok.py", "print('hi')\n");
    const run = await runCli(["profile", "--script", script, "--python", "/nonexistent/bin/python3"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/"\/nonexistent\/bin\/python3" not found/);
    expect(run.stderr).toMatch(/--python/);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.error).toMatch(/not found/);
    expect(summary.error_code).toBe("PYTHON_NOT_FOUND");
  });

  it("an output directory that cannot be written exits 2", async () => {
    const cwd = await scratch();
    const script = await writeScript(cwd, "ok.py", "print('hi')\n");
    await writeFile(path.join(cwd, "not-a-dir"), "x");
    const run = await runCli(["profile", "--script", script, "--out", "not-a-dir/runs"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/Cannot write the run directory.*not-a-dir/);
    expect(run.stderr).toMatch(/--out/);
  });

  it("a malformed requests file is a warning; the run goes on", async () => {
    const cwd = await scratch();
    const script = await writeScript(
      cwd,
      "badreq.py",
      "import os\nopen(os.environ.get('MEMRAY_RUN_REQUESTS_FILE', '/tmp/memray-run-requests.json'), 'w').write('[{oops')\nx = [1] * 1000\n",
    );
    const run = await runCli(["profile", "--script", script], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.requests).toEqual([]);
    expect(summary.warnings?.join("\n")).toMatch(/requests file/i);
    expect(run.stderr).toMatch(/warning/);
  });

  describe("memray not importable by the chosen Python", () => {
    let venvPython: string;
    beforeAll(async () => {
      const venv = path.join(await scratch(), "venv");
      await execa("python3", ["-m", "venv", "--without-pip", venv]);
      venvPython = path.join(venv, "bin", "python");
    }, 60_000);

    it("exits 3 with the exact pip command that fixes it, and leaves a summary.json", async () => {
      const cwd = await scratch();
      const script = await writeScript(cwd, "ok.py", "print('hi')\n");
      const run = await runCli(["profile", "--script", script, "--python", venvPython], cwd);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toContain(`${venvPython} -m pip install memray`);
      const summary = await summaryOf(cwd, run.lastLine);
      expect(summary.error).toMatch(/memray is not importable/);
      expect(await readdir(path.join(cwd, run.lastLine))).toContain("index.html");
    });

    it("with --allow-no-memray measures tracemalloc + RSS only", async () => {
      const cwd = await scratch();
      const script = await writeScript(cwd, "alloc.py", "blob = bytearray(8 * 1024 * 1024)\n");
      const run = await runCli(["profile", "--script", script, "--python", venvPython, "--allow-no-memray"], cwd);
      expect(run.exitCode, run.stderr).toBe(0);
      const summary = await summaryOf(cwd, run.lastLine);
      expect(summary.profiling.memray_enabled).toBe(false);
      expect(summary.memory.tracemalloc_peak).toBeGreaterThan(8 * 1024 * 1024);
      expect(existsSync(path.join(cwd, run.lastLine, "session.bin"))).toBe(false);
    });
  });
});

describe("messages that say what is really wrong (exit 2, before a run directory exists)", () => {
  it("a 300-character --name (or -e run_name) is too long, and says how long a name may be: not 'choose a writable directory'", async () => {
    const cwd = await scratch();
    await writeScript(cwd, "ok.py", "print('hi')\n");
    const name = "n".repeat(300);
    const flag = await runCli(["profile", "--script", "ok.py", "--name", name], cwd);
    expect(flag.exitCode, flag.stderr).toBe(2);
    expect(flag.stderr).toMatch(/--name is too long: a run name may have at most 200 characters/);
    expect(flag.stderr).toContain("(300 characters)");
    expect(flag.stderr).not.toMatch(/writable/);
    const recipe = await runCli(["run", "debug/memray-local", "-e", "script_path=ok.py", "-e", `run_name=${name}`], cwd);
    expect(recipe.exitCode, recipe.stderr).toBe(2);
    expect(recipe.stderr).toMatch(/-e run_name is too long: a run name may have at most 200 characters/);
    expect(existsSync(path.join(cwd, "runs"))).toBe(false);
  });

  it("a script whose file name would make the run directory's name too long says so and points at --name", async () => {
    const cwd = await scratch();
    const script = await writeScript(cwd, `${"s".repeat(240)}.py`, "print('hi')\n");
    const run = await runCli(["profile", "--script", script], cwd);
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/the run name is 240 characters long; a run name may have at most 200/);
    expect(run.stderr).toMatch(/--name/);
    expect(existsSync(path.join(cwd, "runs"))).toBe(false);
  });

  it("a FIFO as --script is 'not a regular file' (not 'does not exist'), at once, with no run directory", async () => {
    const cwd = await scratch();
    execFileSync("mkfifo", [path.join(cwd, "pipe.py")]);
    const run = await runCli(["profile", "--script", "pipe.py"], cwd, {}, 20_000);
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/Script path is a FIFO \(named pipe\), not a regular file: pipe\.py/);
    expect(run.stderr).not.toMatch(/does not exist|must be absolute/);
    expect(existsSync(path.join(cwd, "runs"))).toBe(false);
  });

  it("--out that is a symbolic link loop says ELOOP, in profile and in runs list", async () => {
    const cwd = await scratch();
    await writeScript(cwd, "ok.py", "print('hi')\n");
    await symlink("loop", path.join(cwd, "loop"));
    const profile = await runCli(["profile", "--script", "ok.py", "--out", "loop"], cwd);
    expect(profile.exitCode, profile.stderr).toBe(2);
    expect(profile.stderr).toMatch(/loop: a symbolic link loop \(ELOOP\)/);
    expect(profile.stderr).toMatch(/→ remove or fix the symbolic link loop/);
    const list = await runCli(["runs", "list", "--out", "loop"], cwd);
    expect(list.exitCode, list.stderr).toBe(2);
    expect(list.stderr).toMatch(/--out .*loop cannot be read: a symbolic link loop \(ELOOP\)/);
    expect(list.stderr).not.toMatch(/no runs/);
  });
});

describe("terminal escapes in what a workload says are shown, never interpreted", () => {
  // eslint-disable-next-line no-control-regex
  const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

  it("profile and runs show print the exception's OSC title and CSI clear as \\x1b...; summary.json and --json keep them as they were", async () => {
    const cwd = await scratch();
    await writeScript(cwd, "hostile.py", 'raise ValueError("boom \\x1b]0;PWNED\\x07 \\x1b[2J done")\n');
    const run = await runCli(["profile", "--script", "hostile.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain("workload failed: script raised ValueError: boom \\x1b]0;PWNED\\x07 \\x1b[2J done");
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.error).toContain("\u001b]0;PWNED\u0007"); // the data is kept exactly

    const show = await runCli(["runs", "show", "latest"], cwd);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(show.stdout).toContain("error: script raised ValueError: boom \\x1b]0;PWNED\\x07 \\x1b[2J done");
    expect(show.stdout + show.stderr).not.toMatch(RAW_CONTROL);
    const json = await runCli(["runs", "show", "latest", "--json"], cwd);
    expect(JSON.parse(json.stdout).summary.error).toBe(summary.error);
  });

  it("runs list shows a target name and an unreadable summary's JSON error with their escapes written out", async () => {
    const cwd = await scratch();
    const dir = await handmadeRun(cwd, "a-20260315-143022");
    const summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8")) as Summary;
    summary.target = { kind: "docker", name: "svc\u001b]0;PWNED\u0007", python: "python3" } as Summary["target"];
    await writeFile(path.join(dir, "summary.json"), JSON.stringify(summary));
    await mkdir(path.join(cwd, "runs", "b-20260315-150000"));
    await writeFile(path.join(cwd, "runs", "b-20260315-150000", "summary.json"), "\u001b[2J\u001b]0;PWNED\u0007 not json");
    const list = await runCli(["runs", "list"], cwd);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toContain("svc\\x1b]0;PWNED\\x07");
    expect(list.stderr).toMatch(/unreadable run runs\/b-20260315-150000: .*malformed JSON/);
    expect(list.stdout + list.stderr).not.toMatch(RAW_CONTROL);
  });
});

const mkfifo = (file: string) => execFileSync("mkfifo", [file]);

describe("a run's files: regular files within their bound, or a message that says what they are", () => {
  // A CLI that blocks on a FIFO is killed after this long (exit code -1 in CliRun).
  const HANG = 20_000;

  it("runs list: a run whose summary.json is a FIFO is listed as unreadable (what it is), the others as usual; never a hang", async () => {
    const cwd = await scratch();
    await handmadeRun(cwd, "ok-20260315-143022");
    const fifoRun = await handmadeRun(cwd, "fifo-20260315-150000");
    await rm(path.join(fifoRun, "summary.json"));
    mkfifo(path.join(fifoRun, "summary.json"));
    const list = await runCli(["runs", "list"], cwd, {}, HANG);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stderr).toContain(`unreadable run runs/fifo-20260315-150000: ${path.join(fifoRun, "summary.json")} is a FIFO (named pipe), not a regular file`);
    expect(list.stdout).toMatch(/runs\/ok-20260315-143022/);
    const json = await runCli(["runs", "list", "--json"], cwd, {}, HANG);
    expect(JSON.parse(json.stdout).unreadable).toEqual([
      { run_dir: "runs/fifo-20260315-150000", problem: expect.stringMatching(/is a FIFO \(named pipe\), not a regular file$/) },
    ]);
  });

  it("runs show: a FIFO summary.json is exit 2 naming it; a summary.json over its bound is exit 2 naming its size and the bound", async () => {
    const cwd = await scratch();
    const fifoRun = await handmadeRun(cwd, "fifo-20260315-150000");
    await rm(path.join(fifoRun, "summary.json"));
    mkfifo(path.join(fifoRun, "summary.json"));
    const fifo = await runCli(["runs", "show", "fifo-20260315-150000"], cwd, {}, HANG);
    expect(fifo.exitCode, fifo.stderr).toBe(2);
    expect(fifo.stderr).toMatch(/summary\.json is a FIFO \(named pipe\), not a regular file/);
    const big = await handmadeRun(cwd, "big-20260315-150000");
    const bound = RUN_FILE_BOUNDS["summary.json"]!;
    await truncate(path.join(big, "summary.json"), bound + 1); // sparse: nothing written to disk
    const show = await runCli(["runs", "show", "big-20260315-150000"], cwd, {}, HANG);
    expect(show.exitCode, show.stderr).toBe(2);
    expect(show.stderr).toContain(`summary.json is 64.0 MiB (${bound + 1} bytes), over the 64.0 MiB bound for summary.json`);
  });

  it("--baseline whose summary.json is a FIFO, or whose table.json is 200 MB: exit 2 before anything is measured, saying which file and why", async () => {
    const cwd = await scratch();
    await writeScript(cwd, "ok.py", "print('hi')\n");
    const fifoRun = await handmadeRun(cwd, "fifo-20260315-150000");
    await rm(path.join(fifoRun, "summary.json"));
    mkfifo(path.join(fifoRun, "summary.json"));
    const fifo = await runCli(["profile", "--script", "ok.py", "--baseline", "runs/fifo-20260315-150000"], cwd, {}, HANG);
    expect(fifo.exitCode, fifo.stderr).toBe(2);
    expect(fifo.stderr).toMatch(/--baseline runs\/fifo-20260315-150000: .*summary\.json is a FIFO \(named pipe\), not a regular file/);
    const big = await handmadeRun(cwd, "big-20260315-150000");
    await writeFile(path.join(big, "table.json"), "");
    await truncate(path.join(big, "table.json"), 200_000_000);
    const table = await runCli(["profile", "--script", "ok.py", "--baseline", "runs/big-20260315-150000"], cwd, {}, HANG);
    expect(table.exitCode, table.stderr).toBe(2);
    expect(table.stderr).toContain("table.json is 190.7 MiB (200000000 bytes), over the 64.0 MiB bound for table.json");
    expect((await readdir(path.join(cwd, "runs"))).sort()).toEqual(["big-20260315-150000", "fifo-20260315-150000"]); // nothing profiled
  });

  it("memray-cli compare reads the runs the same way: a FIFO table.json is exit 2, not a hang", async () => {
    const cwd = await scratch();
    await handmadeRun(cwd, "a-20260315-143022");
    const b = await handmadeRun(cwd, "b-20260315-150000");
    mkfifo(path.join(b, "table.json"));
    const compare = await runCli(["compare", "runs/a-20260315-143022", "runs/b-20260315-150000"], cwd, {}, HANG);
    expect(compare.exitCode, compare.stderr).toBe(2);
    expect(compare.stderr).toMatch(/table\.json is a FIFO \(named pipe\), not a regular file/);
  });
});
