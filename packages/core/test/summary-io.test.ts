import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { emptySummary, InvalidSummaryError, readSummary, writeSummary } from "../src/index.js";

describe("summary io", () => {
  it("round-trips a summary and keeps unknown fields", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-summary-"));
    const summary = { ...emptySummary({ runId: "r-1", mode: "script", script: "a.py", timestamp: new Date("2026-03-15T14:30:22.123Z"), error: null }), future_field: 1 };
    await writeSummary(dir, summary);
    const read = await readSummary(dir);
    expect(read.timestamp).toBe("2026-03-15T14:30:22Z");
    expect(read.future_field).toBe(1);
    expect(JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8")).run_id).toBe("r-1");
  });

  it("names the file and the field when a summary is invalid", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "memray-summary-"));
    await writeFile(path.join(dir, "summary.json"), JSON.stringify({ run_id: "x", memory: {} }));
    const error = await readSummary(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSummaryError);
    expect(String((error as Error).message)).toMatch(/summary\.json.*(script|memray|memory)/);
    await writeFile(path.join(dir, "summary.json"), "{oops");
    await expect(readSummary(dir)).rejects.toThrow(/malformed JSON/);
  });
});
