import { mkdtemp, readdir, readFile, writeFile, chmod } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fallbackSummary, InvalidSummaryError, readSummary, summarySchema, writeSummary } from "../src/index.js";

const base = {
  runId: "r-1",
  mode: "script" as const,
  script: "a.py",
  timestamp: new Date("2026-03-15T14:30:22.123Z"),
  error: "it broke",
  errorCode: "HARNESS_KILLED" as const,
};

describe("summary io", () => {
  it("round-trips a summary and keeps unknown fields", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-summary-"));
    const summary = { ...fallbackSummary(base), future_field: 1 };
    await writeSummary(dir, summary);
    const read = await readSummary(dir);
    expect(read.timestamp).toBe("2026-03-15T14:30:22Z");
    expect(read.future_field).toBe(1);
    expect(read.error_code).toBe("HARNESS_KILLED");
    expect(JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8")).run_id).toBe("r-1");
  });

  it("a fallback summary is valid, says what failed, and lists the artifacts it is given", () => {
    const summary = fallbackSummary({ ...base, artifacts: { session_bin: "runs/r-1/session.bin" }, target: { kind: "docker", name: "c", python: "python3" } });
    expect(summarySchema.safeParse(summary).success).toBe(true);
    expect(summary).toMatchObject({
      error: "it broke",
      error_code: "HARNESS_KILLED",
      exit_code: null,
      artifacts: { session_bin: "runs/r-1/session.bin" },
      target: { name: "c" },
    });
  });

  it("names the file and the field when a summary is invalid, and keeps the cause", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-summary-"));
    await writeFile(path.join(dir, "summary.json"), JSON.stringify({ run_id: "x", memory: {} }));
    const error = await readSummary(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSummaryError);
    expect(String((error as Error).message)).toMatch(/summary\.json.*(script|memray|memory)/);
    expect((error as Error).cause).toBeDefined();
    await writeFile(path.join(dir, "summary.json"), "{oops");
    await expect(readSummary(dir)).rejects.toThrow(/malformed JSON/);
  });

  it("leaves no temp file behind when the write fails", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-summary-"));
    await writeFile(path.join(dir, "summary.json"), "old");
    await chmod(dir, 0o500);
    try {
      if (process.getuid?.() === 0) return; // root writes anyway
      await expect(writeSummary(dir, fallbackSummary(base))).rejects.toThrow();
      expect(await readdir(dir)).toEqual(["summary.json"]);
    } finally {
      await chmod(dir, 0o700);
    }
  });
});
