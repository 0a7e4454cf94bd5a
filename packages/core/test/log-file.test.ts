import { mkdtemp, readFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { mapConcurrently, writeLogFile } from "../src/log-file.js";

const tempDir = () => mkdtemp(path.join(os.tmpdir(), "memray-log-file-"));

/** A log stream that sends `lines` and then breaks off with `error` (or ends). */
function stream(lines: string[], error?: Error): Readable {
  return Readable.from(
    (async function* () {
      for (const line of lines) yield Buffer.from(line);
      if (error) throw error;
    })(),
  );
}

describe("writeLogFile", () => {
  it("writes the stream and counts its bytes", async () => {
    const dir = await tempDir();
    expect(await writeLogFile([stream(["a\n", "bc\n"])], dir, "logs-x.txt", { label: "x" })).toEqual({
      status: "ok",
      file: "logs-x.txt",
      bytes: 5,
      error: null,
    });
    expect(await readFile(path.join(dir, "logs-x.txt"), "utf8")).toBe("a\nbc\n");
  });

  it("a stream that breaks off keeps its part; one that wrote nothing leaves no file", async () => {
    const dir = await tempDir();
    expect(await writeLogFile([stream(["a\n"], new Error("socket hang up"))], dir, "logs-a.txt", { label: "pod/a" })).toEqual({
      status: "failed",
      file: "logs-a.txt",
      bytes: 2,
      error: "pod/a: socket hang up",
    });
    expect(await writeLogFile([stream([], Object.assign(new Error("reset"), { code: "ECONNRESET" }))], dir, "logs-b.txt", { label: "pod/b" })).toEqual({
      status: "failed",
      file: null,
      bytes: 0,
      error: "pod/b: reset (ECONNRESET)",
    });
    expect(await readdir(dir)).toEqual(["logs-a.txt"]);
  });

  it("stopped by its signal: says after how many bytes, and why", async () => {
    const dir = await tempDir();
    const controller = new AbortController();
    const endless = new Readable({ read() {} });
    endless.push("first line\n");
    setTimeout(() => controller.abort(new Error("timed out after 1 s")), 50);
    expect(await writeLogFile([endless], dir, "logs-c.txt", { label: "c", signal: controller.signal })).toEqual({
      status: "failed",
      file: "logs-c.txt",
      bytes: 11,
      error: "stopped after 11 bytes: timed out after 1 s",
    });
    expect(endless.destroyed).toBe(true);
  });
});

describe("mapConcurrently", () => {
  it("keeps the order of the items and runs at most `limit` at once", async () => {
    let running = 0;
    let most = 0;
    const results = await mapConcurrently([30, 10, 20, 5, 1], 2, async (ms) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return ms * 2;
    });
    expect(results).toEqual([60, 20, 40, 10, 2]);
    expect(most).toBe(2);
    expect(await mapConcurrently([], 8, async () => 1)).toEqual([]);
  });
});
