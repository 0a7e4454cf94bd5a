import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import type { Summary } from "@alpiq/memray-core";
import { watchStderr } from "@alpiq/memray-test-support";
import { cliBin, workspaceWithTestCases } from "./cli-runner.js";

/** memray's own client: connect, wait for the tracked script to end, print the sites of its last snapshot. */
const CLIENT = `
import sys, time
from memray import SocketReader
with SocketReader(port=int(sys.argv[1])) as reader:
    deadline = time.monotonic() + 60
    while reader.is_active and time.monotonic() < deadline:
        time.sleep(0.1)
    print("SITES", *sorted({f"{f[1]}:{f[2]}" for r in reader.get_current_snapshot(merge_threads=True) for f in r.stack_trace()[:1]}))
`;

const memray = await execa("python3", ["-c", "import memray"], { reject: false });

describe.runIf(memray.exitCode === 0)("live-remote on this host with the live port taken", () => {
  it("picks a free port, says which, and memray's client reads the script's stream there", async () => {
    const cwd = await workspaceWithTestCases();
    await writeFile(path.join(cwd, "job.py"), "import time\nblobs = [bytes([1]) * (1 << 20) for _ in range(4)]  # JOB-LINE\ntime.sleep(1)\n");
    const blocker = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      blocker.once("error", () => resolve(false)); // already taken by someone else: just as good
      blocker.listen({ host: "127.0.0.1", port: 9001, exclusive: true }, () => resolve(true));
    });
    try {
      const cli = execa("node", [cliBin, "profile", "--local", "--mode", "live-remote", "--script", "job.py"], { cwd, reject: false, env: { NO_COLOR: "1" } });
      const stderr = watchStderr(cli);
      const [, taken] = await stderr.waitFor(/live: port 9001 is taken on this host; using (\d+) instead/, 60);
      const [, live] = await stderr.waitFor(/run `memray live (\d+)`/, 60);
      expect(live).toBe(taken);
      const port = Number(live);
      expect(port).not.toBe(9001);
      const client = await execa("python3", ["-c", CLIENT, String(port)], { reject: false, timeout: 90_000 });
      expect(client.exitCode, String(client.stderr)).toBe(0);
      expect(String(client.stdout)).toMatch(/job\.py:2/);
      const result = await cli;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const runDir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
      const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as Summary;
      expect(summary).toMatchObject({ mode: "live-remote", exit_code: 0, script: "job.py" });
    } finally {
      if (held) await new Promise((resolve) => blocker.close(resolve));
    }
  });
  it("--quiet: the live line is the one thing on stderr (where to connect), stdout only the run directory", async () => {
    const cwd = await workspaceWithTestCases();
    await writeFile(path.join(cwd, "job.py"), "blob = bytes([1]) * (1 << 20)  # JOB-LINE\n");
    const cli = execa("node", [cliBin, "profile", "--local", "--mode", "live-remote", "--script", "job.py", "--quiet"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1" },
    });
    const [, live] = await watchStderr(cli).waitFor(/run `memray live (\d+)`/, 60);
    const port = Number(live);
    const client = await execa("python3", ["-c", CLIENT, String(port)], { reject: false, timeout: 90_000 });
    expect(client.exitCode, String(client.stderr)).toBe(0);
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr).trim().split("\n")).toEqual([expect.stringMatching(/^live: run `memray live \d+` in another terminal/)]);
    expect(String(result.stdout).trim()).toMatch(/^runs\/job-\d{8}-\d{6}$/);
  });
});
