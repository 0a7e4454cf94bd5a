import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "@alpiq/memray-core";
import { runCli } from "./cli-runner.js";

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
