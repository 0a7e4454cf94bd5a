import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema, type Summary } from "@alpiq/memray-core";
import { repoRoot, runCli, workspaceWithTestCases, type CliRun } from "./cli-runner.js";

const SCRIPT = "test-cases/example-sequential-requests.py";
const REPORTS = ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt"];

/** The line of the example script that makes its single largest allocation. */
function payloadLine(): number {
  const lines = readFileSync(path.join(repoRoot, SCRIPT), "utf8").split("\n");
  return lines.findIndex((line) => /^\s*payload = bytearray\(/.test(line)) + 1;
}

describe("memray-cli profile --mode script (real memray, local host)", () => {
  let cwd: string;
  let run: CliRun;
  let runDir: string;
  let summary: Summary;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    run = await runCli(["profile", "--mode", "script", "--script", SCRIPT], cwd);
    runDir = path.join(cwd, run.lastLine);
    summary = JSON.parse(await readFile(path.join(runDir, "summary.json"), "utf8"));
  });

  it("exits 0 and prints the run directory runs/<script>-<timestamp> last", () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.lastLine).toMatch(/^runs\/example-sequential-requests-\d{8}-\d{6}(-\d+)?$/);
    expect(run.stderr).toMatch(/profiling \(script\)/);
  });

  it("writes a summary.json valid against the zod schema and the checked-in JSON Schema", () => {
    expect(summarySchema.safeParse(summary).success).toBe(true);
    const jsonSchema = JSON.parse(readFileSync(path.join(repoRoot, "packages/core/schema/summary.schema.json"), "utf8"));
    const validate = new Ajv2020({ strict: false }).compile(jsonSchema);
    expect(validate(summary), JSON.stringify(validate.errors)).toBe(true);
    expect(summary.profiling).toMatchObject({ memray_enabled: true, native_traces: true, trace_python_allocators: true });
    expect(summary.exit_code).toBe(0);
    expect(summary.error).toBeNull();
  });

  it("names the script's own largest allocation line first in top_allocators", () => {
    expect(summary.top_allocators[0]?.file).toBe(`${SCRIPT}:${payloadLine()}`);
    expect(summary.top_allocators[0]?.size_kb).toBeGreaterThanOrEqual(48 * 1024);
  });

  it("merges the script's per-request data and judges the leak", () => {
    expect(summary.requests.map((r) => r.request_num)).toEqual([1, 2, 3, 4, 5]);
    expect(summary.requests.every((r) => r.status === 200 && typeof r.rss_after === "number")).toBe(true);
    // The example caches ~2 MiB per request forever: RSS grows on every request.
    expect(summary.leak_indicators.monotonic_growth).toBe(true);
    expect(summary.leak_indicators.likely_leak).toBe(true);
    expect(summary.leak_indicators.rss_growth_mb).toBeGreaterThan(1);
  });

  it("makes all six reports, with content about the script", async () => {
    for (const report of REPORTS) {
      expect((await stat(path.join(runDir, report))).size, report).toBeGreaterThan(200);
      expect(summary.artifacts).toEqual(expect.objectContaining({}));
    }
    expect(await readFile(path.join(runDir, "flamegraph.html"), "utf8")).toContain("example-sequential-requests.py");
    const table = await readFile(path.join(runDir, "table.txt"), "utf8");
    expect(table).toContain(`${SCRIPT}:${payloadLine()}`);
    expect(await readFile(path.join(runDir, "tree.txt"), "utf8")).toMatch(/handle_request/);
    expect(summary.artifacts).toMatchObject({
      session_bin: `${run.lastLine}/session.bin`,
      flamegraph: `${run.lastLine}/flamegraph.html`,
      leaks_flamegraph: `${run.lastLine}/leaks.html`,
      temporal_flamegraph: `${run.lastLine}/temporal.html`,
      temp_allocs_flamegraph: `${run.lastLine}/temp-allocs.html`,
      table_report: `${run.lastLine}/table.txt`,
      tree_report: `${run.lastLine}/tree.txt`,
      index_html: `${run.lastLine}/index.html`,
    });
    const index = await readFile(path.join(runDir, "index.html"), "utf8");
    for (const report of REPORTS) expect(index).toContain(`href="${report}"`);
  });

  it("compares the run with itself through memray-cli compare: no change, exit 0", async () => {
    const same = await runCli(["compare", run.lastLine, run.lastLine, "--format", "json"], cwd);
    expect(same.exitCode, same.stderr).toBe(0);
    const report = JSON.parse(same.stdout) as { regression: boolean; changed: boolean };
    expect(report).toMatchObject({ regression: false, changed: false });
    const badFlag = await runCli(["compare", run.lastLine, run.lastLine, "--threshold", "lots"], cwd);
    expect(badFlag.exitCode).toBe(2);
    expect(badFlag.stderr).toMatch(/--threshold/);
  });

  it("lists and shows the run", async () => {
    const list = await runCli(["runs", "list", "--json"], cwd);
    expect(JSON.parse(list.stdout).runs.map((r: { run_dir: string }) => r.run_dir)).toContain(run.lastLine);
    const show = await runCli(["runs", "show", run.lastLine], cwd);
    expect(show.stdout).toContain(summary.run_id);
    expect(show.stdout).toContain(`${SCRIPT}:${payloadLine()}`);
    const open = await runCli(["runs", "open", summary.run_id], cwd, { PATH: "/nonexistent" });
    expect(open.exitCode).toBe(0);
    expect(open.lastLine).toBe(path.join(runDir, "index.html"));
    expect(open.stderr).toMatch(/open this file in a browser/);
  });
});

describe("the seed's recipe form and --json", () => {
  it("run debug/memray-local -e script_path=... -e trace_allocators=False", async () => {
    const cwd = await workspaceWithTestCases();
    const run = await runCli(["run", "debug/memray-local", "-e", `script_path=${SCRIPT}`, "-e", "trace_allocators=False", "--json"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as { run_dir: string; summary: Summary };
    expect(output.run_dir).toMatch(/^runs\/example-sequential-requests-/);
    expect(output.summary.profiling.trace_python_allocators).toBe(false);
    expect(output.summary.requests).toHaveLength(5);
    expect(JSON.parse(await readFile(path.join(cwd, output.run_dir, "summary.json"), "utf8")).run_id).toBe(output.summary.run_id);
  });

  it("rejects a trace_allocators value that is not True/False, naming the option (exit 2)", async () => {
    const cwd = await workspaceWithTestCases();
    const run = await runCli(["run", "debug/memray-local", "-e", `script_path=${SCRIPT}`, "-e", "trace_allocators=maybe"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/-e trace_allocators expects True or False, received "maybe"/);
  });

  it("rejects unknown recipes and -e keys with the known ones (exit 2)", async () => {
    const cwd = await workspaceWithTestCases();
    const unknownRecipe = await runCli(["run", "debug/nope"], cwd);
    expect(unknownRecipe.exitCode).toBe(2);
    expect(unknownRecipe.stderr).toMatch(/debug\/memray-container/);
    const unknownKey = await runCli(["run", "debug/memray-local", "-e", "colour=blue"], cwd);
    expect(unknownKey.exitCode).toBe(2);
    expect(unknownKey.stderr).toMatch(/script_path/);
  });
});
