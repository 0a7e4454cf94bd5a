import { describe, expect, it } from "vitest";
import { fallbackSummary, MemrayError, type ProfileResult, type RunRow, type Summary } from "@alpiq/memray-core";
import { capturedIo, captureStream } from "@alpiq/memray-test-support";
import { printError } from "../src/print-error.js";
import { printRunOutcome } from "../src/print-run-outcome.js";
import { ProgressReporter } from "../src/progress-reporter.js";
import { runRowCells } from "../src/run-rows.js";

// Text that came from a run or a workload reaches the terminal with its control characters written
// out: an OSC title, a CSI clear, a bell are shown as \x1b..., never interpreted.

const HOSTILE = "boom \u001b]0;PWNED\u0007 \u001b[2J\u009b31m done";
const SHOWN = "boom \\x1b]0;PWNED\\x07 \\x1b[2J\\x9b31m done";
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function hostileSummary(): Summary {
  const summary = fallbackSummary({
    runId: "r-1",
    mode: "script",
    script: "x.py",
    timestamp: new Date("2026-03-15T14:30:22Z"),
    error: HOSTILE,
    errorCode: "WORKLOAD_FAILED",
  });
  summary.warnings = [`warned: ${HOSTILE}`];
  summary.top_allocators = [{ file: `evil\u001b[31m.py:1`, size_kb: 10, count: 2 } as Summary["top_allocators"][number]];
  summary.target = { kind: "docker", name: `c\u001b]0;x\u0007`, python: "python3" } as Summary["target"];
  return summary;
}

describe("visible text on the terminal", () => {
  it("printRunOutcome: the workload's exception, the warnings and the top allocator's file", () => {
    const io = capturedIo({ env: { NO_COLOR: "1" } });
    const result = { summary: hostileSummary(), warnings: [], exitCode: 1, error: undefined } as unknown as ProfileResult;
    printRunOutcome(io, result, new Set());
    expect(io.err()).toContain(`workload failed: ${SHOWN}`);
    expect(io.err()).toContain(`warning: warned: ${SHOWN}`);
    expect(io.err()).toContain("top allocator evil\\x1b[31m.py:1");
    expect(io.err()).not.toMatch(RAW_CONTROL);
  });

  it("printError: a message quoting the run, and its causes (--verbose)", () => {
    const io = capturedIo({ env: { NO_COLOR: "1" }, verbose: true });
    printError(io, new MemrayError("INVALID_SUMMARY", `summary.json: malformed JSON (${HOSTILE})`, { cause: new Error(HOSTILE) }));
    expect(io.err()).toContain(`error: summary.json: malformed JSON (${SHOWN})`);
    expect(io.err()).toContain(`caused by Error: ${SHOWN}`);
    expect(io.err()).not.toMatch(RAW_CONTROL);
  });

  it("the runs table's cells (runs list, the menu, the run browser)", () => {
    const row: RunRow = {
      run_dir: "runs/a\u001b[2Jb",
      run_id: "a",
      mode: "script",
      target: `c\u001b]0;x\u0007`,
      peak_memory_bytes: null,
      rss_delta_kb: null,
      leak_verdict: "n/a",
      status: "failed",
      timestamp: `2026\u001b[2J`,
      summary: hostileSummary(),
    };
    const cells = runRowCells(row);
    expect(cells[0]).toBe("runs/a\\x1b[2Jb");
    expect(cells[2]).toBe("c\\x1b]0;x\\x07");
    expect(cells.join(" ")).not.toMatch(RAW_CONTROL);
  });

  it("the progress reporter: the workload's echoed output and the harness's warnings and report failures", () => {
    const err = captureStream();
    const reporter = new ProgressReporter(err.stream);
    reporter.handle({ type: "output", line: `print: ${HOSTILE}` } as never);
    reporter.handle({ type: "harness", event: { event: "warning", message: HOSTILE } } as never);
    reporter.handle({ type: "harness", event: { event: "report", name: "flamegraph", ok: false, message: HOSTILE } } as never);
    reporter.finish(true);
    expect(err.text()).toContain(`print: ${SHOWN}`);
    expect(err.text()).toContain(`warning: ${SHOWN}`);
    expect(err.text()).toContain(`report flamegraph ${SHOWN}`);
    expect(err.text().replace(/\u001b\[[0-9;]*m/g, "")).not.toMatch(RAW_CONTROL); // picocolors' own colours aside
    expect(reporter.warningsShown.has(HOSTILE)).toBe(true); // kept as it was: printRunOutcome must not repeat it
  });
});

describe("the comparison with --baseline on the terminal", () => {
  it("sites, functions and the runs' errors are written out; compare.md and compare.json keep them exactly", async () => {
    const { mkdir, mkdtemp, readFile, writeFile } = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const { writeSummary } = await import("@alpiq/memray-core");
    const { compareWithBaseline, describeComparison, loadBaseline } = await import("../src/baseline-compare.js");
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-escapes-"));
    const table = (bytes: number) => ({
      version: 1,
      source: "high_watermark",
      total_bytes: bytes,
      sites: [{ site: "evil\u001b]0;PWNED\u0007.py:1", function: "f\u001b[2J", size_bytes: bytes, count: 1 }],
    });
    for (const [name, bytes] of [
      ["a", 1_000_000],
      ["b", 9_000_000],
    ] as const) {
      const dir = path.join(cwd, "runs", name);
      await mkdir(dir, { recursive: true });
      const summary = hostileSummary();
      summary.run_id = name;
      await writeSummary(dir, summary);
      await writeFile(path.join(dir, "table.json"), JSON.stringify(table(bytes)));
    }
    const baseline = await loadBaseline("runs/a", cwd);
    const comparison = await compareWithBaseline(baseline, path.join(cwd, "runs", "b"), cwd);
    const text = describeComparison(comparison, false);
    expect(text).toContain("evil\\x1b]0;PWNED\\x07.py:1");
    expect(text).toContain(SHOWN);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(await readFile(path.join(cwd, "runs", "b", "compare.json"), "utf8")).toContain("evil\\u001b]0;PWNED\\u0007.py:1");
  });
});
