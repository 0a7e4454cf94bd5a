import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, open, symlink, truncate, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkRunFile,
  fallbackSummary,
  MemrayError,
  openRunFile,
  readRunFile,
  readSummary,
  RUN_FILE_BOUNDS,
  RunFileError,
  runFileBound,
  writeSummary,
} from "../src/index.js";

async function scratch(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "memray-run-file-"));
}

function mkfifo(file: string): void {
  execFileSync("mkfifo", [file]);
}

/** Settles with the outcome of `promise`, or fails the test when it takes longer than `ms` (a read that blocks). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function failureOf(promise: Promise<unknown>): Promise<RunFileError> {
  const error = await within(
    5000,
    promise.then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  expect(error).toBeInstanceOf(RunFileError);
  return error as RunFileError;
}

describe("readRunFile", () => {
  it("reads a regular file whole", async () => {
    const dir = await scratch();
    const text = "x".repeat(10_000) + "é";
    await writeFile(path.join(dir, "summary.json"), text);
    expect((await readRunFile(path.join(dir, "summary.json"))).toString("utf8")).toBe(text);
    await writeFile(path.join(dir, "empty.json"), "");
    expect((await readRunFile(path.join(dir, "empty.json"))).length).toBe(0);
  });

  it("refuses a FIFO at once (no writer needed, nothing blocks): RUN_UNREADABLE, exit 2, says what it is", async () => {
    const dir = await scratch();
    const fifo = path.join(dir, "summary.json");
    mkfifo(fifo);
    const error = await failureOf(readRunFile(fifo));
    expect(error.problem).toBe("not-regular");
    expect(error.code).toBe("RUN_UNREADABLE");
    expect(error.exitCode).toBe(2);
    expect(error.reason).toBe(`${fifo} is a FIFO (named pipe), not a regular file`);
    // and so does readSummary, on the directory or the file
    expect((await failureOf(readSummary(dir))).problem).toBe("not-regular");
  });

  it("refuses a socket, a character device and a directory, naming each", async () => {
    const dir = await scratch();
    const socketPath = path.join(dir, "table.json");
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      expect((await failureOf(readRunFile(socketPath))).reason).toMatch(/is a socket, not a regular file/);
    } finally {
      server.close();
    }
    expect((await failureOf(readRunFile("/dev/zero"))).reason).toMatch(/\/dev\/zero is a character device, not a regular file/);
    await mkdir(path.join(dir, "stats.json"));
    expect((await failureOf(readRunFile(path.join(dir, "stats.json")))).reason).toMatch(/is a directory, not a regular file/);
  });

  it("refuses a file over its bound before reading it, naming its size and the bound", async () => {
    const dir = await scratch();
    const table = path.join(dir, "table.json");
    await writeFile(table, "");
    await truncate(table, 200_000_000); // sparse: 200 MB on paper, nothing on disk
    const before = process.memoryUsage().arrayBuffers;
    const error = await failureOf(readRunFile(table));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(error.problem).toBe("too-large");
    expect(error.reason).toBe(`${table} is 190.7 MiB (200000000 bytes), over the 64.0 MiB bound for table.json`);
    expect(error.hint).toMatch(/RUN_FILE_BOUNDS/);
    // an explicit bound wins over the table
    await writeFile(path.join(dir, "small.json"), "y".repeat(2048));
    expect((await failureOf(readRunFile(path.join(dir, "small.json"), { maxBytes: 1024 }))).reason).toMatch(
      /is 2\.0 KiB \(2048 bytes\), over the 1\.0 KiB bound/,
    );
    expect((await readRunFile(path.join(dir, "small.json"), { maxBytes: 2048 })).length).toBe(2048);
  });

  it("has one bound per file it parses, in one table", () => {
    expect(Object.keys(RUN_FILE_BOUNDS).sort()).toEqual(["stats.json", "summary.json", "table.json"]);
    expect(runFileBound("/x/runs/a/summary.json")).toBe(RUN_FILE_BOUNDS["summary.json"]);
    expect(runFileBound("stats.json")).toBeLessThan(runFileBound("table.json"));
  });

  it("a missing file is 'missing'; a symbolic link loop says ELOOP", async () => {
    const dir = await scratch();
    expect((await failureOf(readRunFile(path.join(dir, "nope.json")))).problem).toBe("missing");
    await symlink("loop.json", path.join(dir, "loop.json"));
    const loop = await failureOf(readRunFile(path.join(dir, "loop.json")));
    expect(loop.reason).toMatch(/symbolic link loop \(ELOOP\)/);
  });

  it("with `within`, follows a link that stays inside and refuses one that leads out", async () => {
    const root = await scratch();
    const outside = await scratch();
    await mkdir(path.join(root, "run"));
    await writeFile(path.join(outside, "secret.txt"), "secret");
    await writeFile(path.join(root, "run", "real.txt"), "inside");
    await symlink(path.join(outside, "secret.txt"), path.join(root, "run", "x.html"));
    await symlink("real.txt", path.join(root, "run", "alias.txt"));
    const error = await failureOf(readRunFile(path.join(root, "run", "x.html"), { within: root }));
    expect(error.problem).toBe("outside");
    expect(error.reason).toContain(path.join(outside, "secret.txt"));
    expect((await readRunFile(path.join(root, "run", "alias.txt"), { within: root })).toString()).toBe("inside");
    // the same link read without `within` is the caller's own business
    expect((await readRunFile(path.join(root, "run", "x.html"))).toString()).toBe("secret");
  });

  it("an aborted signal stops the read: INTERRUPTED (130), or TERMINATED (143) for SIGTERM", async () => {
    const dir = await scratch();
    await writeFile(path.join(dir, "summary.json"), "{}");
    const controller = new AbortController();
    controller.abort("SIGINT");
    const interrupted = await readRunFile(path.join(dir, "summary.json"), { signal: controller.signal }).catch((e: unknown) => e);
    expect(interrupted).toBeInstanceOf(MemrayError);
    expect((interrupted as MemrayError).exitCode).toBe(130);
    const terminated = new AbortController();
    terminated.abort("SIGTERM");
    expect(((await readRunFile(path.join(dir, "summary.json"), { signal: terminated.signal }).catch((e: unknown) => e)) as MemrayError).exitCode).toBe(143);
  });

  it("checkRunFile refuses what readRunFile refuses, without reading; returns the size", async () => {
    const dir = await scratch();
    await writeFile(path.join(dir, "stats.json"), "{}");
    expect(await checkRunFile(path.join(dir, "stats.json"))).toBe(2);
    await truncate(path.join(dir, "stats.json"), RUN_FILE_BOUNDS["stats.json"]! + 1);
    expect((await failureOf(checkRunFile(path.join(dir, "stats.json")))).problem).toBe("too-large");
    mkfifo(path.join(dir, "table.json"));
    expect((await failureOf(checkRunFile(path.join(dir, "table.json")))).problem).toBe("not-regular");
  });

  it("openRunFile gives an open handle of a regular file to stream from", async () => {
    const dir = await scratch();
    await writeFile(path.join(dir, "flamegraph.html"), "<html>");
    const opened = await openRunFile(path.join(dir, "flamegraph.html"), { within: dir });
    try {
      expect(opened.size).toBe(6);
      expect((await opened.handle.readFile()).toString()).toBe("<html>");
    } finally {
      await opened.handle.close();
    }
  });

  it("readSummary still reads what writeSummary wrote", async () => {
    const dir = await scratch();
    await writeSummary(dir, fallbackSummary({ runId: "r", mode: "script", script: null, timestamp: new Date(), error: "x", errorCode: "HARNESS_FAILED" }));
    expect((await readSummary(dir)).run_id).toBe("r");
    const handle = await open(path.join(dir, "summary.json"), "a");
    await handle.truncate(RUN_FILE_BOUNDS["summary.json"]! + 1);
    await handle.close();
    expect((await failureOf(readSummary(dir))).problem).toBe("too-large");
  });
});
