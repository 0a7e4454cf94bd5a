import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fallbackSummary, MemrayError, writeSummary } from "@alpiq/memray-core";
import { capturedIo } from "@alpiq/memray-test-support";
import type { CliIo } from "../src/cli-io.js";
import { main } from "../src/main.js";
import { listRuns } from "../src/run-rows.js";

// `runs list` / `runs show` in-process on real directories: what stops them, and what they say.

const io = (cwd: string, extra: Partial<CliIo> = {}) => capturedIo({ cwd, ...extra });

async function runsDir(): Promise<string> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-runs-"));
  for (const name of ["a-20260315-143022", "b-20260315-150000"]) {
    await mkdir(path.join(cwd, "runs", name), { recursive: true });
    await writeSummary(
      path.join(cwd, "runs", name),
      fallbackSummary({ runId: name, mode: "script", script: null, timestamp: new Date(), error: "x", errorCode: "HARNESS_FAILED" }),
    );
  }
  return cwd;
}

describe("runs list / runs show", () => {
  it("Ctrl-C (an aborted signal) stops the reading: exit 130, or 143 for SIGTERM", async () => {
    const cwd = await runsDir();
    for (const [reason, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      const controller = new AbortController();
      controller.abort(reason);
      const list = io(cwd, { signal: controller.signal });
      expect(await main(["runs", "list"], list)).toBe(code);
      expect(list.err()).toMatch(/stopped while reading .*summary\.json/);
      expect(await main(["runs", "show", "latest"], io(cwd, { signal: controller.signal }))).toBe(code);
    }
    await expect(listRuns(path.join(cwd, "runs"), { signal: AbortSignal.abort("SIGINT") })).rejects.toBeInstanceOf(MemrayError);
  });

  it("--out that is a symbolic link loop says ELOOP (exit 2), not 'no runs yet'", async () => {
    const cwd = await runsDir();
    await symlink("loop", path.join(cwd, "loop"));
    const list = io(cwd);
    expect(await main(["runs", "list", "--out", "loop"], list)).toBe(2);
    expect(list.err()).toMatch(/--out .*loop cannot be read: a symbolic link loop \(ELOOP\)/);
    expect(list.err()).not.toMatch(/no runs/);
    const latest = io(cwd);
    expect(await main(["runs", "show", "latest", "--out", "loop"], latest)).toBe(2);
    expect(latest.err()).toMatch(/ELOOP/);
  });

  it("a missing --out still holds no runs (exit 0)", async () => {
    const cwd = await runsDir();
    const list = io(cwd);
    expect(await main(["runs", "list", "--out", "nothing-here"], list)).toBe(0);
    expect(list.err()).toMatch(/no runs under nothing-here\/ yet/);
  });

  it("a FIFO summary.json is an unreadable run, listed with what it is", async () => {
    const cwd = await runsDir();
    await mkdir(path.join(cwd, "runs", "c-20260315-160000"));
    execFileSync("mkfifo", [path.join(cwd, "runs", "c-20260315-160000", "summary.json")]);
    const { runs, broken } = await listRuns(path.join(cwd, "runs"));
    expect(runs.map((run) => run.summary.run_id).sort()).toEqual(["a-20260315-143022", "b-20260315-150000"]);
    expect(broken).toEqual([
      {
        dir: path.join(cwd, "runs", "c-20260315-160000"),
        problem: `${path.join(cwd, "runs", "c-20260315-160000", "summary.json")} is a FIFO (named pipe), not a regular file`,
      },
    ]);
  });
});
