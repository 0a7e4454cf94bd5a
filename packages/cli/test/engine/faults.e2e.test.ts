import { execa } from "execa";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { watchStderr } from "@alpiq/memray-test-support";
import { runCli, startCli, workspaceWithTestCases, writeOrphanScript } from "../cli-runner.js";
import { engineReady, installMemray } from "./engine-env.js";

/** Faults of container runs, for real: Ctrl-C, the kernel's OOM killer, odd files beside the script. */
const FORECAST = "local-forecast-1";
const SMALL = `memray-test-oom-${process.pid}`;
const PAUSED = `memray-test-paused-${process.pid}`;
const ready = await engineReady([FORECAST]);

const lastLine = (stdout: unknown) => String(stdout).trim().split("\n").at(-1) ?? "";
/** The run staging directories in the forecast container. */
const stagingDirs = async () =>
  String((await execa("docker", ["exec", FORECAST, "sh", "-c", "ls -d /tmp/memray-cli-* 2>/dev/null || true"])).stdout)
    .split("\n")
    .filter(Boolean);

describe.runIf(ready)("container faults: what was measured is kept", () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(FORECAST, cwd);
  });

  it("Ctrl-C during a container run: the harness finishes the Tracker, the reports and summary are copied out, exit 130", async () => {
    const script = await writeOrphanScript(cwd, "slow");
    const stagedBefore = await stagingDirs();
    const child = startCli(["profile", "--target", FORECAST, "--script", script, "--no-signals"], cwd);
    await watchStderr(child).waitFor(/READY/);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const dir = path.join(cwd, lastLine(result.stdout));
    const summary = summarySchema.parse(JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8")));
    expect(summary).toMatchObject({ error_code: "INTERRUPTED", target: { kind: "docker", name: FORECAST } });
    expect(await readFile(path.join(dir, "table.txt"), "utf8")).toMatch(/slow\.py:2/);
    expect(existsSync(path.join(dir, "flamegraph.html"))).toBe(true);
    // Nothing of the run is left in the container (other runs' leftovers are not this test's).
    expect((await stagingDirs()).filter((dir) => !stagedBefore.includes(dir))).toEqual([]);
  });

  it("SIGKILL to memray-cli during a container run: the harness finishes the run in the container (HOST_LOST), runs list names the run with the command that recovers it, and recover brings it home", async () => {
    const script = await writeOrphanScript(cwd);
    const child = startCli(["profile", "--target", FORECAST, "--script", script, "--no-signals", "--name", "orphan"], cwd);
    await watchStderr(child).waitFor(/READY/);
    child.kill("SIGKILL");
    await child;
    const runs = path.join(cwd, "runs");
    const dir = path.join(runs, (await readdir(runs)).find((name) => name.startsWith("orphan-"))!);
    expect(existsSync(path.join(dir, "summary.json"))).toBe(false);
    // The harness in the container noticed (its held stdin closed) and finished: no workload left running.
    let finished = false;
    for (let i = 0; i < 60 && !finished; i++) {
      const ps = await execa("docker", ["exec", FORECAST, "sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"]);
      finished = !String(ps.stdout).includes("orphan.py");
      if (!finished) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(finished).toBe(true);
    const listed = await runCli(["runs", "list"], cwd);
    expect(listed.stderr).toMatch(/no summary\.json: the run did not finish .*memray-cli recover/);
    const recovered = await runCli(["recover", dir, "--json"], cwd);
    const output = JSON.parse(recovered.lastLine);
    expect(output.summary.error_code, recovered.stderr).toBe("HOST_LOST");
    expect(recovered.exitCode).toBe(3);
    expect(await readFile(path.join(dir, "table.txt"), "utf8")).toMatch(/orphan\.py:2/);
    expect(existsSync(path.join(dir, "index.html"))).toBe(true);
    expect(existsSync(path.join(dir, ".memray-cli-pending.json"))).toBe(false);
  });

  it("FIFOs beside the script are not copied (a copy would block); the run says so", async () => {
    await mkdir(path.join(cwd, "withfifo"), { recursive: true });
    await writeFile(path.join(cwd, "withfifo", "job.py"), "blob = bytearray(1 << 20)\n");
    await execa("mkfifo", [path.join(cwd, "withfifo", "pipe")]);
    const run = await runCli(["profile", "--target", FORECAST, "--script", "withfifo/job.py", "--no-signals"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = summarySchema.parse(JSON.parse(await readFile(path.join(cwd, run.lastLine, "summary.json"), "utf8")));
    expect(summary.warnings?.join("\n")).toMatch(/not copied into the target \(not regular files\): pipe/);
  });

  it("a paused container: exit 3, and the hint says docker unpause", async () => {
    await execa("docker", ["run", "-d", "--name", PAUSED, "--network", "none", "memray-cli/base:bookworm", "sleep", "infinity"]);
    try {
      await execa("docker", ["pause", PAUSED]);
      const run = await runCli(["profile", "--target", PAUSED, "--mode", "snapshot", "--module", "json"], cwd);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(new RegExp(`docker unpause ${PAUSED}`));
    } finally {
      await execa("docker", ["rm", "-f", PAUSED], { reject: false });
    }
  });

  it.each([
    [["profile", "--target", FORECAST, "--mode", "snapshot"], { DOCKER_HOST: "garbage://x" }, 3, /DOCKER_HOST=garbage:\/\/x/],
    [["install", "--target", FORECAST, "--wheelhouse", "/nonexistent/wheels"], {}, 2, /wheelhouse/],
  ] as const)("%j exits with its documented code, naming what is wrong", async (args, env, code, message) => {
    const run = await runCli([...args], cwd, env);
    expect(run.exitCode).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  describe("a container with a 300 MB memory limit", () => {
    beforeAll(async () => {
      await execa("docker", [
        "run",
        "-d",
        "--name",
        SMALL,
        "--memory",
        "300m",
        "--memory-swap",
        "300m",
        "--network",
        "local_default",
        "memray-cli/forecast:bookworm",
        "sleep",
        "infinity",
      ]);
      await installMemray(SMALL, cwd);
    }, 300_000);

    afterAll(async () => {
      await execa("docker", ["rm", "-f", SMALL], { reject: false });
    });

    it("the kernel's OOM killer ends the workload: the run says so (with evidence), the reports come from the capture", async () => {
      await mkdir(path.join(cwd, "oom"), { recursive: true });
      await writeFile(path.join(cwd, "oom", "hog.py"), "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))  # HOG\n");
      const run = await runCli(["profile", "--target", SMALL, "--script", "oom/hog.py", "--no-signals"], cwd);
      expect(run.exitCode, run.stderr).toBe(1);
      const summary = summarySchema.parse(JSON.parse(await readFile(path.join(cwd, run.lastLine, "summary.json"), "utf8")));
      expect(summary.error).toMatch(/signal 9.*killed by the kernel's OOM killer/);
      expect(summary.exit_code).toBe(137);
      expect(await readFile(path.join(cwd, run.lastLine, "table.txt"), "utf8")).toMatch(/hog\.py:3/);
    });
  });
});
