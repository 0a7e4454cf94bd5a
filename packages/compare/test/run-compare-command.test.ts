import path from "node:path";
import { compareReportSchema } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPARE_USAGE, runCompareCommand, shouldColor, VERSION } from "../src/index.js";
import { captureIo, expectBadInput, fakeSummary, fakeTableFor, cleanupTmpDirs, tmpDir, writeRun } from "./fake-runs.js";

const ANSI = /\u001b\[/;
let root: string;

beforeAll(async () => {
  root = await tmpDir();
  await writeRun(root, "base", { summary: fakeSummary(20), table: fakeTableFor(20) });
  await writeRun(root, "plus30", { summary: fakeSummary(26), table: fakeTableFor(26) });
  await writeRun(root, "plus10", { summary: fakeSummary(22), table: fakeTableFor(22) });
  await writeRun(root, "seq", { summary: fakeSummary(20, { mode: "sequence", script: "other.py" }), table: fakeTableFor(20) });
  await writeRun(root, "nosummary", {});
  await writeRun(root, "badjson", { summaryText: "{" });
  await writeRun(root, "invalid", { summary: { ...fakeSummary(20), run_id: 42 } });
  // A candidate whose workload crashed: no memory numbers at all, so nothing "regresses".
  const crashed = fakeSummary(20, { exit_code: 1, error: "script raised RuntimeError: boom", error_code: "WORKLOAD_FAILED" });
  await writeRun(root, "crashed", {
    summary: {
      ...crashed,
      memory: Object.fromEntries(Object.keys(crashed.memory).map((key) => [key, null])), // nothing was measured
      memray_stats: undefined,
    },
  });
  await writeRun(root, "exit3", { summary: fakeSummary(20, { exit_code: 3 }), table: fakeTableFor(20) });
});

async function run(argv: string[], extra: Parameters<typeof captureIo>[1] = {}) {
  const { io, out } = captureIo(root, extra);
  const code = await runCompareCommand(argv, io);
  return { code, ...out };
}

afterAll(cleanupTmpDirs);

describe("runCompareCommand", () => {
  it("exits 1 on a regression, naming the metric and the site that grew", async () => {
    const r = await run(["base", "plus30"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("REGRESSION");
    expect(r.stdout).toMatch(/tracemalloc_peak grew \+30\.0%/);
    expect(r.stdout).toContain("grew most at workload.py:4 (allocate)");
    expect(r.stdout).not.toMatch(ANSI);
  });

  it("a candidate whose run failed fails the gate (exit 1, saying why) unless --allow-failed", async () => {
    const crashed = await run(["base", "crashed"]);
    expect(crashed.code).toBe(1);
    expect(crashed.stdout).toMatch(/the candidate run failed: script raised RuntimeError: boom/);
    expect((await run(["base", "exit3"])).stdout).toMatch(/the candidate run failed: exit code 3/);
    const json = compareReportSchema.parse(JSON.parse((await run(["base", "crashed", "--format", "json"])).stdout));
    expect(json.regressions[0]).toMatchObject({ kind: "failed_run", metric: "candidate_failed" });
    const allowed = await run(["base", "crashed", "--allow-failed"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).not.toMatch(/candidate run failed: .*--allow-failed/);
  });

  it("exits 0 on 10% growth", async () => {
    const r = await run(["base", "plus10"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No regression");
  });

  it("the same directory twice is allowed and reports no change", async () => {
    const r = await run(["base", path.join(root, "base")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No change");
    expect(r.stdout).toContain("same run");
    const json = JSON.parse((await run(["base", "base/summary.json", "--format", "json"])).stdout);
    expect(json).toMatchObject({ same_run: true, changed: false, regression: false, exit_code: 0 });
  });

  it("--format json validates against core's compareReportSchema", async () => {
    for (const pair of [
      ["base", "plus30"],
      ["base", "plus10"],
      ["base", "seq"],
      ["base", "base"],
    ]) {
      const r = await run([...pair, "--format", "json", "--threshold", "rss_delta=25"]);
      const report = compareReportSchema.parse(JSON.parse(r.stdout));
      expect(report.exit_code).toBe(r.code);
      expect(report.rules.metric_thresholds).toEqual({ rss_delta: 25 });
    }
  });

  it("--format markdown is a pull-request comment", async () => {
    const r = await run(["base", "plus30", "--format", "markdown"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^### memray-compare: ❌ memory regression/);
    expect(r.stdout).toContain("| `tracemalloc_peak` | 20.0 MiB | 26.0 MiB | +6.0 MiB | +30.0% | ❌ **regression** (> 20%) |");
    expect(r.stdout).toContain("| grew | `workload.py:4` | `allocate` |");
    expect(r.stdout).not.toMatch(ANSI);
  });

  it("says when runs differ in mode or script", async () => {
    const r = await run(["base", "seq"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("differ in mode: baseline script, candidate sequence");
    expect(r.stdout).toContain("different scripts");
  });

  it("colours on a TTY unless NO_COLOR is set", async () => {
    expect((await run(["base", "plus30"], { isTTY: true })).stdout).toMatch(ANSI);
    expect((await run(["base", "plus30"], { isTTY: true, env: { NO_COLOR: "1" } })).stdout).not.toMatch(ANSI);
    expect((await run(["base", "plus30", "--color"])).stdout).toMatch(ANSI);
    expect((await run(["base", "plus30", "--format", "json"], { isTTY: true })).stdout).not.toMatch(ANSI);
    expect(shouldColor(undefined, { isTTY: false, env: { FORCE_COLOR: "1" } })).toBe(true);
    expect(shouldColor(undefined, { isTTY: true, env: { NO_COLOR: "" } })).toBe(true);
  });

  it("--threshold and --min-bytes change the verdict", async () => {
    expect((await run(["base", "plus30", "--threshold", "40"])).code).toBe(0);
    expect((await run(["base", "plus10", "--threshold", "5"])).code).toBe(1);
    expect((await run(["base", "plus10", "--threshold", "5", "--min-bytes", "3MiB"])).code).toBe(0);
  });

  describe("bad input exits 2 with a message on stderr", () => {
    it.each([
      ["missing directory", ["base", "missing-dir"], /candidate run missing-dir does not exist/],
      ["missing summary.json", ["nosummary", "base"], /baseline run has no summary\.json: .*nosummary\/summary\.json is missing/],
      ["malformed summary.json", ["base", "badjson"], /badjson\/summary\.json is not a valid memray-cli summary: malformed JSON/],
      [
        "invalid summary.json",
        ["invalid", "base"],
        /invalid\/summary\.json is not a valid memray-cli summary: run_id: Invalid input: expected string, received number/,
      ],
      ["malformed threshold", ["base", "plus30", "--threshold", "lots"], /--threshold: expected a percentage/],
      ["unknown threshold metric", ["base", "plus30", "--threshold", "rss=30"], /--threshold: unknown metric "rss"/],
      ["one run", ["base"], /expected two runs/],
      ["bad format", ["base", "plus30", "--format", "xml"], /--format/],
    ])("%s", async (_name, argv, message) => {
      expectBadInput(await run(argv as string[]), message as RegExp);
    });
  });

  it("prints help and version", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(`${COMPARE_USAGE}\n`);
    expect((await run(["--version"])).stdout).toBe(`${VERSION}\n`);
  });
});
