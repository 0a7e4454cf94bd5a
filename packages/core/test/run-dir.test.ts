import { existsSync } from "node:fs";
import { mkdtemp, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRunDir, formatRunTimestamp, MAX_RUN_NAME_LENGTH, OutputDirNotWritableError, RunNameTooLongError, sanitizeRunName } from "../src/index.js";

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

describe("createRunDir: what the file system refuses, said as it is", () => {
  it("a 300-character name is refused before anything is created: too long, and how long it may be (not 'choose a writable directory')", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    const error = await createRunDir({ name: "a".repeat(300), clock: fixedClock, cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunNameTooLongError);
    expect((error as RunNameTooLongError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(new RegExp(`300 characters long; a run name may have at most ${MAX_RUN_NAME_LENGTH}`));
    expect((error as Error).message).not.toMatch(/writable/);
    expect(existsSync(path.join(cwd, "runs"))).toBe(false);
  });

  it("the longest name allowed makes a run directory, even as the 1000th of its second", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    const runDir = await createRunDir({ name: "b".repeat(MAX_RUN_NAME_LENGTH), clock: fixedClock, cwd });
    expect(Buffer.byteLength(`${runDir.runId}-1000`)).toBeLessThanOrEqual(255);
  });

  it("an --out that is a symbolic link loop says so (ELOOP), not 'not writable'", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    await symlink("loop", path.join(cwd, "loop"));
    const error = await createRunDir({ name: "x", outRoot: "loop", cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputDirNotWritableError);
    expect((error as Error).message).toMatch(/symbolic link loop \(ELOOP\)/);
    expect((error as OutputDirNotWritableError).hint).toMatch(/symbolic link loop/);
  });

  it("an --out path with a component over 255 bytes says the name is too long", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-rundir-"));
    const error = await createRunDir({ name: "x", outRoot: "c".repeat(300), cwd }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/name too long for the file system \(ENAMETOOLONG\)/);
    expect((error as OutputDirNotWritableError).hint).toMatch(/255 bytes/);
  });
});

describe("run names", () => {
  it("formats UTC timestamps and strips odd characters", () => {
    expect(formatRunTimestamp(new Date("2026-01-02T03:04:05Z"))).toBe("20260102-030405");
    expect(sanitizeRunName("my test; rm -rf /.py")).toMatch(/^my-test-rm-+rf$/);
    expect(sanitizeRunName("...")).toBe("run");
  });
});
