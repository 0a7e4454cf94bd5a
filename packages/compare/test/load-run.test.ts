import { chmod } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidRunDataError, InvalidRunSummaryError, loadRun, RunNotFoundError, SummaryNotFoundError } from "../src/index.js";
import { fakeSummary, fakeTable, fakeTableFor, MiB, cleanupTmpDirs, tmpDir, writeRun } from "./fake-runs.js";

afterAll(cleanupTmpDirs);

describe("loadRun", () => {
  it("reads a run directory with table.json and memray_stats", async () => {
    const root = await tmpDir();
    const dir = await writeRun(root, "a", { summary: fakeSummary(20), table: fakeTableFor(20) });
    const run = await loadRun("a", "baseline", { cwd: root });
    expect(run.dir).toBe(dir);
    expect(run.summary.run_id).toBe("run-20");
    expect(run.siteSource).toBe("table.json");
    expect(run.siteKind).toBe("high_watermark");
    expect(run.sites[0]).toEqual({ site: "workload.py:4", function: "allocate", sizeBytes: 20 * MiB, count: 1 });
    expect(run.memrayStats).toEqual({ peakMemory: 20 * MiB + 100_000, totalAllocations: 700, totalBytesAllocated: null });
  });

  it("accepts a summary.json file and falls back to top_allocators (KB → bytes)", async () => {
    const root = await tmpDir();
    await writeRun(root, "a", { summary: fakeSummary(20) });
    const run = await loadRun(path.join(root, "a", "summary.json"), "candidate");
    expect(run.siteSource).toBe("top_allocators");
    expect(run.sites[0]).toMatchObject({ site: "workload.py:4", sizeBytes: 20 * MiB });
  });

  it("takes memray numbers from stats.json, then table.json's high-water mark", async () => {
    const root = await tmpDir();
    const noStats = { ...fakeSummary(20), memray_stats: undefined };
    await writeRun(root, "s", {
      summary: noStats,
      stats: { total_num_allocations: 42, total_bytes_allocated: 9 * MiB, metadata: { peak_memory: 7 * MiB } },
    });
    expect((await loadRun("s", "baseline", { cwd: root })).memrayStats).toEqual({
      peakMemory: 7 * MiB,
      totalAllocations: 42,
      totalBytesAllocated: 9 * MiB,
    });
    await writeRun(root, "t", { summary: noStats, table: fakeTable([{ site: "x.py:1", size_bytes: 3 * MiB }]) });
    expect((await loadRun("t", "baseline", { cwd: root })).memrayStats.peakMemory).toBe(3 * MiB);
    await writeRun(root, "l", { summary: noStats, table: fakeTable([{ site: "x.py:1", size_bytes: 3 * MiB }], "leaked") });
    expect((await loadRun("l", "baseline", { cwd: root })).memrayStats.peakMemory).toBeNull();
  });

  it("fails on a missing directory", async () => {
    const root = await tmpDir();
    const error = await loadRun("nope", "baseline", { cwd: root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunNotFoundError);
    expect(error).toMatchObject({ code: "RUN_NOT_FOUND", exitCode: 2 });
    expect((error as Error).message).toContain("nope");
  });

  it("fails on a directory without summary.json", async () => {
    const root = await tmpDir();
    await writeRun(root, "empty", {});
    const error = await loadRun("empty", "candidate", { cwd: root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SummaryNotFoundError);
    expect((error as Error).message).toContain(path.join(root, "empty", "summary.json"));
  });

  it("fails on malformed JSON and on a summary that breaks the schema, with the path and the schema's message", async () => {
    const root = await tmpDir();
    await writeRun(root, "bad", { summaryText: "{ not json" });
    const malformed = await loadRun("bad", "baseline", { cwd: root }).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(InvalidRunSummaryError);
    expect((malformed as Error).message).toMatch(/summary\.json.*malformed JSON/);

    const broken = { ...fakeSummary(20), memory: { rss_before: "lots" } };
    await writeRun(root, "invalid", { summary: broken });
    const invalid = await loadRun("invalid", "baseline", { cwd: root }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: "INVALID_SUMMARY", exitCode: 2 });
    expect((invalid as Error).message).toContain(path.join(root, "invalid", "summary.json"));
    expect((invalid as Error).message).toContain("memory.rss_before");
  });

  it("fails on a malformed table.json", async () => {
    const root = await tmpDir();
    await writeRun(root, "t", { summary: fakeSummary(20), table: { version: 1, sites: "nope" } });
    const error = await loadRun("t", "baseline", { cwd: root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRunDataError);
    expect((error as Error).message).toContain("table.json");
  });

  it.skipIf(process.getuid?.() === 0)("fails on an unreadable summary.json", async () => {
    const root = await tmpDir();
    const dir = await writeRun(root, "u", { summary: fakeSummary(20) });
    await chmod(path.join(dir, "summary.json"), 0o000);
    await expect(loadRun("u", "baseline", { cwd: root })).rejects.toMatchObject({ code: "RUN_UNREADABLE" });
  });

  it("rejects a malformed summary.memray_stats, naming the field (core's schema types it)", async () => {
    const root = await tmpDir();
    await writeRun(root, "m", { summary: { ...fakeSummary(20), memray_stats: { peak_memory: "big" } } });
    await expect(loadRun("m", "baseline", { cwd: root })).rejects.toMatchObject({
      code: "INVALID_SUMMARY",
      message: expect.stringMatching(/memray_stats\.peak_memory/),
    });
  });
});
