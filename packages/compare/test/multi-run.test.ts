import { compareReportSchema, type CompareReport } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { median, runCompareCommand } from "../src/index.js";
import { captureIo, cleanupTmpDirs, expectBadInput, fakeSummary, fakeTableFor, MiB, tmpDir, writeRun } from "./fake-runs.js";

// Noise-aware gating: `--baseline A1 A2 A3 --candidate B1 B2 B3` compares the medians of the sides, and a
// candidate median inside the baseline's min–max spread is never a regression. Synthetic run directories
// (valid against core's summary schema) whose workload keeps N MiB alive; every metric scales with N.

const BASELINE = [20, 14, 28]; // a noisy baseline: median 20, spread 14–28
const NOISY = [25, 17, 27]; // median 25: +25% and +5 MiB, above the 20% threshold and the 1 MiB floor, inside 14–28
const OVERLAP = [26, 30, 33]; // median 30 above every baseline run, one candidate run inside the spread
const STEP = BASELINE.map((mb) => mb + 50); // +50 MiB in every candidate run

let root: string;
const names = (prefix: string, values: readonly unknown[]) => Array.from(values, (_, i) => `${prefix}${i + 1}`);

async function writeSide(prefix: string, values: readonly number[], extra: (i: number) => Record<string, unknown> = () => ({})) {
  for (const [i, mb] of values.entries()) {
    await writeRun(root, `${prefix}${i + 1}`, { summary: fakeSummary(mb, { run_id: `${prefix}${i + 1}`, ...extra(i) }), table: fakeTableFor(mb) });
  }
}

async function run(argv: string[]) {
  const { io, out } = captureIo(root);
  const code = await runCompareCommand(argv, io);
  return { code, ...out };
}

async function json(argv: string[]): Promise<CompareReport> {
  const r = await run([...argv, "--format", "json"]);
  return compareReportSchema.parse(JSON.parse(r.stdout));
}

const sides = (a: string, b: string, n = 3) => ["--baseline", ...names(a, Array(n).fill(0)), "--candidate", ...names(b, Array(n).fill(0))];
const metric = (report: CompareReport, id: string) => report.metrics.find((m) => m.id === id)!;

beforeAll(async () => {
  root = await tmpDir("memray-compare-multi-");
  await writeSide("base", BASELINE);
  await writeSide("noisy", NOISY);
  await writeSide("overlap", OVERLAP);
  await writeSide("step", STEP);
  await writeSide("seq", BASELINE, (i) => (i === 1 ? { mode: "sequence" } : {}));
  await writeSide("other", BASELINE, (i) => (i === 2 ? { script: "other.py" } : {}));
  await writeSide("leaky", BASELINE, (i) => (i < 2 ? { leak_indicators: { likely_leak: true, monotonic_growth: true, rss_growth_mb: 8 } } : {}));
  await writeSide("oneleak", BASELINE, (i) => (i === 0 ? { leak_indicators: { likely_leak: true, monotonic_growth: true, rss_growth_mb: 8 } } : {}));
  await writeSide("crash", BASELINE, (i) => (i === 1 ? { exit_code: 1, error: "script raised MemoryError" } : {}));
});

afterAll(cleanupTmpDirs);

describe("three baseline runs against three candidates", () => {
  it("noisy candidates whose median lies within the baseline's spread: exit 0, though one run each would flag", async () => {
    // The fixture is what it claims: the medians differ by more than the threshold and the floor…
    expect(median(NOISY) / median(BASELINE) - 1).toBeGreaterThan(0.2);
    expect((median(NOISY) - median(BASELINE)) * MiB).toBeGreaterThanOrEqual(MiB);
    expect(median(NOISY)).toBeGreaterThanOrEqual(Math.min(...BASELINE));
    expect(median(NOISY)).toBeLessThanOrEqual(Math.max(...BASELINE));
    // …so the two-run form on the median runs calls it a regression,
    const medianRun = (prefix: string, values: number[]) => `${prefix}${values.indexOf(median(values)) + 1}`;
    expect((await run([medianRun("base", BASELINE), medianRun("noisy", NOISY)])).code).toBe(1);

    // and the three-run form does not: the change lies inside the baseline's own spread.
    const r = await run(sides("base", "noisy"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No regression");
    expect(r.stdout).toMatch(/tracemalloc_peak .*\+25\.0%\s+ok\s+within baseline spread/);
    expect(r.stdout).toContain("largest median growth: rss_delta +25.0%, within baseline spread");
    expect(r.stdout).toContain("changes under 1.0 MiB are not flagged");

    const report = await json(sides("base", "noisy"));
    expect(report.regression).toBe(false);
    const peak = metric(report, "tracemalloc_current");
    expect(peak.baseline_stats).toMatchObject({ median: median(BASELINE) * MiB, min: Math.min(...BASELINE) * MiB, max: Math.max(...BASELINE) * MiB, runs: 3 });
    expect(peak.candidate_stats).toMatchObject({ median: median(NOISY) * MiB, min: Math.min(...NOISY) * MiB, max: Math.max(...NOISY) * MiB, runs: 3 });
    expect(peak.baseline_stats.values).toEqual(BASELINE.map((mb) => mb * MiB));
    expect(peak).toMatchObject({
      baseline: median(BASELINE) * MiB,
      candidate: median(NOISY) * MiB,
      status: "unchanged",
      confidence: "within_spread",
      regression: false,
    });
    expect(report.baseline_runs.map((r) => r.path)).toEqual(names("base", BASELINE));
    expect(report.candidate_runs.map((r) => r.run_id)).toEqual(names("noisy", NOISY));
    expect(report.baseline.path).toBe("base1");
    expect(report.rules.spread).toBe("min_max");
  });

  it("+50 MiB in every candidate run: exit 1, every candidate run above every baseline run", async () => {
    const r = await run(sides("base", "step"));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /tracemalloc_current grew \+250\.0% \(medians 20\.0 MiB → 70\.0 MiB, \+50\.0 MiB\), above the 20% threshold; every candidate run above every baseline run \(baseline 14\.0 MiB–28\.0 MiB over 3 runs\)/,
    );
    expect(r.stdout).toContain("grew most at workload.py:4 (allocate) +50.0 MiB");
    const report = await json(sides("base", "step"));
    expect(metric(report, "tracemalloc_current")).toMatchObject({ confidence: "separated", regression: true, delta: 50 * MiB });
    expect(report.sites.grew[0]).toMatchObject({ site: "workload.py:4", baseline_bytes: median(BASELINE) * MiB, candidate_bytes: median(STEP) * MiB });
    expect(report.exit_code).toBe(1);
  });

  it("a candidate median above every baseline run, one candidate run inside the spread: exit 1, saying only the median is beyond", async () => {
    const r = await run(sides("base", "overlap"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("above the 20% threshold; candidate median above every baseline run");
    expect(metric(await json(sides("base", "overlap")), "tracemalloc_current").confidence).toBe("median_outside");
  });

  it("markdown: medians, min–max per side, confidence per metric, and the rules with the 1 MiB floor", async () => {
    const r = await run([...sides("base", "step"), "--format", "markdown"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("| Metric | Baseline median | Baseline min–max | Candidate median | Candidate min–max | Change | % | Status | Confidence |");
    expect(r.stdout).toContain(
      "| `tracemalloc_current` | 20.0 MiB | 14.0 MiB–28.0 MiB | 70.0 MiB | 64.0 MiB–78.0 MiB | +50.0 MiB | +250.0% | ❌ **regression** (> 20%) | every candidate run above every baseline run |",
    );
    expect(r.stdout).toContain("changes under 1.0 MiB are not flagged");
    expect(r.stdout).toContain("a candidate median within the baseline's min–max spread is never a regression");
    const noisy = await run([...sides("base", "noisy"), "--format", "markdown"]);
    expect(noisy.code).toBe(0);
    expect(noisy.stdout).toContain("Verdict basis: largest median growth: rss_delta +25.0%, within baseline spread.");
  });

  it("the leak verdict of a side is that of more than half of its runs", async () => {
    const two = await json(sides("base", "leaky"));
    expect(two.leak).toMatchObject({ status: "became_leak", regression: true, candidate_likely_leak_runs: 2, baseline_likely_leak_runs: 0 });
    expect(two.regressions.find((x) => x.kind === "leak")?.message).toContain("in 2 of 3 candidate runs");
    const one = await json(sides("base", "oneleak"));
    expect(one.leak).toMatchObject({ status: "unchanged", regression: false, candidate_likely_leak_runs: 1 });
  });

  it("one failed candidate run fails the gate, naming it, unless --allow-failed", async () => {
    const r = await run(sides("base", "crash"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("the candidate run crash2 failed: script raised MemoryError (pass --allow-failed");
    expect((await run([...sides("base", "crash"), "--allow-failed"])).code).toBe(0);
  });

  it("the same runs on both sides: no change", async () => {
    const report = await json(sides("base", "base"));
    expect(report).toMatchObject({ same_run: true, changed: false, regression: false });
    expect(report.notes[0]).toContain("same runs");
  });

  it("one baseline run against three candidates: no spread to judge by, the threshold alone decides", async () => {
    const report = await json(["--baseline", "base1", "--candidate", ...names("noisy", NOISY)]);
    expect(metric(report, "tracemalloc_current")).toMatchObject({ confidence: "single_run", regression: true });
  });
});

describe("bad input exits 2 with a message naming the flag", () => {
  it.each([
    ["runs of different modes in one side", [...sides("seq", "noisy")], /--baseline: the runs differ in mode \(seq1: script, seq2: sequence, seq3: script\)/],
    ["runs of different scripts in one side", ["--baseline", "base1", "--candidate", ...names("other", BASELINE)], /--candidate: the runs differ in script/],
    ["one run given twice", ["--baseline", "base1", "base2", "base1", "--candidate", "noisy1"], /--baseline: base1 and base1 are the same run/],
    ["a missing run", ["--baseline", "base1", "base9", "--candidate", "noisy1"], /baseline run base9 does not exist/],
    ["a missing side", ["--baseline", "base1", "base2"], /--candidate: expected at least one run/],
    ["both forms at once", ["base1", "--baseline", "base2", "--candidate", "noisy1"], /--baseline\/--candidate: runs given both positionally \(base1\)/],
  ])("%s", async (_name, argv, message) => {
    expectBadInput(await run(argv as string[]), message as RegExp);
  });
});
