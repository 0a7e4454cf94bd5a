import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { compareReportSchema, harnessConfigSchema, type CompareReport } from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCompareCommand } from "../src/index.js";
import { captureIo, cleanupTmpDirs, tmpDir } from "./fake-runs.js";

/**
 * Runs made by the real harness (python/memray_harness, the code behind python/memray-runner.py) under
 * memray: a workload that keeps N MiB alive on one line. The harness is invoked through its config
 * protocol (docs/harness-protocol.md) with only the table report, so the four runs take seconds.
 */

const exec = promisify(execFile);
const pythonDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "python");
const python = process.env["MEMRAY_COMPARE_PYTHON"] ?? "python3";

async function harnessAvailable(): Promise<boolean> {
  if (!existsSync(path.join(pythonDir, "memray_harness", "__main__.py"))) return false;
  try {
    await exec(python, ["-c", "import memray"]);
    return true;
  } catch {
    return false;
  }
}
const available = await harnessAvailable();

const WORKLOAD = `import sys


def allocate(mib):
    return bytearray(mib * 1024 * 1024)  # ALLOCATION UNDER TEST


kept_alive = allocate(int(sys.argv[1]))
`;
const ALLOC_LINE = WORKLOAD.split("\n").findIndex((l) => l.includes("ALLOCATION UNDER TEST")) + 1;

let root: string;

async function makeRun(name: string, mib: number): Promise<string> {
  const outDir = path.join(root, name);
  // Through core's schema, as memray-cli writes it: the harness trusts config.json to be complete.
  const config = harnessConfigSchema.parse({
    mode: "script",
    run_id: name,
    out_dir: outDir,
    artifact_prefix: `runs/${name}`,
    script: "workload.py",
    script_path: path.join(root, "workload.py"),
    script_args: [String(mib)],
    native_traces: false,
    trace_python_allocators: true,
    tracemalloc: false,
    allow_no_memray: false,
    install_requirements: false,
    requests_file: path.join(root, `${name}-requests.json`),
    reports: ["table"],
    app: null,
    app_dir: null,
    modules: [],
    endpoint: { path: "/", method: "GET", body: null, headers: {} },
    requests: 1,
    delay_seconds: 0,
    live_port: 9001,
    service_port: null,
    timeout_seconds: null,
    target: { kind: "local", name: "local", python, service_port: null },
    host_artifacts: [],
    host_sections_wait_seconds: null,
    host_warnings: [],
  });
  const configFile = path.join(root, `${name}.config.json`);
  await writeFile(configFile, JSON.stringify(config));
  await exec(python, ["-m", "memray_harness", "--config", configFile], {
    cwd: root,
    env: { ...process.env, PYTHONPATH: pythonDir },
  });
  return outDir;
}

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
    await writeFile(path.join(root, "workload.py"), WORKLOAD);
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
