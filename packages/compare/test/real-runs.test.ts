import path from "node:path";
import { compareReportSchema, type CompareReport } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCompareCommand } from "../src/index.js";
import { captureIo, cleanupTmpDirs, tmpDir } from "./fake-runs.js";
import { ALLOC_LINE, harnessAvailable, makeHarnessRun, writeWorkload } from "./harness-runs.js";

// Runs made by the real harness under memray (see harness-runs.ts): N MiB kept alive on one line.
const available = await harnessAvailable();
let root: string;
const makeRun = (name: string, mib: number) => makeHarnessRun(root, name, mib);

async function compare(...argv: string[]) {
  const { io, out } = captureIo(root);
  const code = await runCompareCommand(argv, io);
  return { code, ...out };
}

async function compareJson(a: string, b: string): Promise<CompareReport> {
  const r = await compare(a, b, "--format", "json");
  return compareReportSchema.parse(JSON.parse(r.stdout));
}

afterAll(cleanupTmpDirs);

describe.skipIf(!available)("real runs made by the harness", () => {
  beforeAll(async () => {
    root = await tmpDir("memray-compare-real-");
    await writeWorkload(root);
    await Promise.all([makeRun("base", 20), makeRun("plus30", 26), makeRun("plus10", 22), makeRun("again", 20)]);
  }, 120_000);

  it("30% more allocated: exit 1, naming the metric and the allocation site that grew", async () => {
    const r = await compare("base", "plus30");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/tracemalloc_peak grew \+\d+\.\d%/);
    expect(r.stdout).toMatch(/peak_memory grew \+\d+\.\d%/);
    expect(r.stdout).toMatch(new RegExp(`grew most at \\S*workload\\.py:${ALLOC_LINE} \\(allocate\\) \\+6\\.0 MiB`));

    const report = await compareJson("base", "plus30");
    expect(report.regressions.map((x) => x.metric)).toEqual(expect.arrayContaining(["tracemalloc_peak", "peak_memory"]));
    expect(report.top_growing_site?.site).toMatch(new RegExp(`workload\\.py:${ALLOC_LINE}$`));
    expect(report.sites.grew[0]?.site).toMatch(new RegExp(`workload\\.py:${ALLOC_LINE}$`));
    expect(report.baseline.site_source).toBe("table.json");
  });

  it("10% more allocated: exit 0", async () => {
    const r = await compare("base", "plus10");
    expect(r.code).toBe(0);
    const report = await compareJson("base", "plus10");
    expect(report.regression).toBe(false);
    expect(report.sites.grew[0]?.site).toMatch(/workload\.py/);
  });

  it("two runs of the same workload: no change reported", async () => {
    const r = await compare("base", "again");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No change");
    const report = await compareJson("base", "again");
    expect(report.changed).toBe(false);
    expect(report.regressions).toEqual([]);
  });

  it("the same run directory twice: every delta is zero", async () => {
    const report = await compareJson("base", path.join(root, "base"));
    expect(report.same_run).toBe(true);
    expect(report.changed).toBe(false);
    expect(report.metrics.filter((m) => m.delta !== null).every((m) => m.delta === 0)).toBe(true);
    expect(report.metrics.find((m) => m.id === "peak_memory")?.baseline).toBeGreaterThan(20 * 1024 * 1024);
  });
});
