import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRunDir, formatRunTimestamp, OutputDirNotWritableError, sanitizeRunName } from "../src/index.js";

const fixedClock = { now: () => new Date("2026-03-15T14:30:22.500Z") };

describe("createRunDir", () => {
  it("names the directory runs/<name>-<YYYYMMDD-HHMMSS> with a runs/-relative artifact prefix", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    const runDir = await createRunDir({ name: "example-sequential-requests.py", clock: fixedClock, cwd });
    expect(runDir.runId).toBe("example-sequential-requests-20260315-143022");
    expect(runDir.path).toBe(path.join(cwd, "runs", runDir.runId));
    expect(runDir.artifactPrefix).toBe(`runs/${runDir.runId}`);
  });

  it("keeps two runs in the same second apart", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    const first = await createRunDir({ name: "x", clock: fixedClock, cwd });
    const second = await createRunDir({ name: "x", clock: fixedClock, cwd });
    const third = await createRunDir({ name: "x", clock: fixedClock, cwd });
    expect(new Set([first.path, second.path, third.path]).size).toBe(3);
    expect(second.runId).toBe(`${first.runId}-2`);
  });

  it("fails with OutputDirNotWritableError (exit 2) when the parent is not a directory", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    await writeFile(path.join(cwd, "a-file"), "x");
    const error = await createRunDir({ name: "x", outRoot: "a-file/runs", cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputDirNotWritableError);
    expect((error as OutputDirNotWritableError).exitCode).toBe(2);
  });
});

describe("run names", () => {
  it("formats UTC timestamps and strips odd characters", () => {
    expect(formatRunTimestamp(new Date("2026-01-02T03:04:05Z"))).toBe("20260102-030405");
    expect(sanitizeRunName("my test; rm -rf /.py")).toMatch(/^my-test-rm-+rf$/);
    expect(sanitizeRunName("...")).toBe("run");
  });
});
