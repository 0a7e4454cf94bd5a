import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, leakLine, profile, readRunFile } from "./engine-env.js";

const CONTAINER = "local-forecast-1";
const REPORTS = ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt"];
const ready = await engineReady([CONTAINER]);

describe.runIf(ready)(`container modes on ${CONTAINER} (Flask/Waitress, real engine, real memray)`, () => {
  let cwd: string;
  const leakSite = `forecast_service/app.py:${leakLine("forecast_service")}`;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
  });

  it("install is idempotent and prints the version", async () => {
    const again = await runCli(["run", "debug/memray-install", "-e", `container_target=${CONTAINER}`], cwd);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.lastLine).toMatch(/^\d+\.\d+\.\d+$/);
    expect(again.stderr).toMatch(/already installed/);
  });

  it("snapshot: imports the service (found from waitress-serve's command line), polars and pyarrow under the Tracker", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "snapshot"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(summarySchema.safeParse(run.summary).success).toBe(true);
    expect(run.lastLine).toMatch(/^runs\/snapshot-\d{8}-\d{6}/);
    const table = await readRunFile(run.dir, "table.txt");
    expect(table).toMatch(/polars\//);
    expect(JSON.stringify(run.summary)).toMatch(/forecast_service/);
    for (const report of REPORTS) expect(existsSync(path.join(run.dir, report)), report).toBe(true);
    // The seed's heavy dependencies the service's environment has, after its module, listed.
    const snapshot = run.summary.snapshot as { imported: { module: string }[]; dependencies: string[]; dependencies_absent: string[] };
    expect(snapshot.imported.map((m) => m.module)).toEqual(["forecast_service.app", ...snapshot.dependencies]);
    expect(snapshot.dependencies).toEqual(expect.arrayContaining(["polars", "pyarrow"]));
    expect([...snapshot.dependencies, ...snapshot.dependencies_absent].sort()).toEqual(["numpy", "pandas", "polars", "pyarrow"]);
  });

  it("endpoint: one request, status 200, and the request's own allocations", async () => {
    // The seed's recipe form, verbatim keys.
    const run = await runCli(
      ["run", "debug/memray-container", "-e", `container_target=${CONTAINER}`, "-e", "profile_mode=endpoint", "-e", "endpoint_path=/forecast", "--json"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const { summary, run_dir } = JSON.parse(run.stdout);
    expect(summary.requests).toHaveLength(1);
    expect(summary.requests[0]).toMatchObject({ request_num: 1, status: 200 });
    expect(summary.requests[0].duration_s).toBeGreaterThan(0);
    expect(typeof summary.requests[0].rss_delta).toBe("number");
    const table = await readRunFile(path.join(cwd, run_dir), "table.txt");
    expect(table).toMatch(/forecast_service\/app\.py:\d+ +compute_forecast/);
    // The forecast preset's port, recorded (the in-process server itself needs none).
    expect(summary.target).toMatchObject({ kind: "docker", name: CONTAINER, service_port: 5000 });
    expect(summary.artifacts.session_bin).toBe(`${run_dir}/session.bin`);
  });

  it("endpoint answering 500: the run completes, the status is recorded, exit 1", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "endpoint", "--endpoint", "/error"], cwd);
    expect(run.exitCode).toBe(1);
    expect(run.summary.requests[0]?.status).toBe(500);
    expect(run.summary.error).toMatch(/500/);
    for (const report of REPORTS) expect(existsSync(path.join(run.dir, report)), report).toBe(true);
  });

  it("script: a test-cases/ script copied into the container, per-request data merged", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "script", "--script", "test-cases/example-sequential-requests.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.script).toBe("test-cases/example-sequential-requests.py");
    expect(run.summary.requests).toHaveLength(5);
    expect(run.summary.top_allocators[0]?.file).toMatch(/example-sequential-requests\.py:\d+$/);
    expect(run.summary.top_allocators[0]?.size_kb).toBeGreaterThanOrEqual(48 * 1024);
  });

  it("script: a requirements.txt beside the script is pip-installed in the container before it runs", async () => {
    const dir = path.join(cwd, "reqcase");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "requirements.txt"), "humanize==4.17.0\n");
    await writeFile(path.join(dir, "uses_dep.py"), "import humanize\nprint('DEP ' + humanize.naturalsize(48 * 1024 * 1024))\n");
    const run = await profile(["--target", CONTAINER, "--script", "reqcase/uses_dep.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain("DEP 50.3 MB");
    expect(await readRunFile(run.dir, "harness.log")).toMatch(/humanize/);
  });

  it("stats: stats.txt and stats.json with the histogram and top allocators", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "stats", "--endpoint", "/forecast"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const stats = JSON.parse(await readRunFile(run.dir, "stats.json"));
    expect(stats.total_num_allocations).toBeGreaterThan(100);
    expect(stats.metadata.peak_memory).toBeGreaterThan(0);
    expect(await readRunFile(run.dir, "stats.txt")).toMatch(/allocations/i);
    expect(run.summary.artifacts).toMatchObject({ stats_json: expect.stringMatching(/stats\.json$/), stats_txt: expect.stringMatching(/stats\.txt$/) });
  });

  it("leaks: leaks.html and table.txt name the fixture's leaking line", async () => {
    const run = await runCli(
      [
        "run",
        "debug/memray-container",
        "-e",
        `container_target=${CONTAINER}`,
        "-e",
        "profile_mode=leaks",
        "-e",
        "endpoint_path=/leak",
        "-e",
        "request_count=3",
      ],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const dir = path.join(cwd, run.lastLine);
    const summary = JSON.parse(await readRunFile(dir, "summary.json"));
    expect(summary.profiling.trace_python_allocators).toBe(true);
    const table = await readRunFile(dir, "table.txt");
    expect(table.split("\n").find((line) => line.includes(leakSite))).toMatch(/3\.0 MiB/);
    const leaks = await readRunFile(dir, "leaks.html");
    expect(leaks).toContain("forecast_service/app.py");
    expect(leaks).toContain("leak");
  });

  it("objects on bookworm (Python 3.11): the gc fallback lists the leaked type with the right count", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "objects", "--endpoint", "/leak", "--requests", "4"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const objects = JSON.parse(await readRunFile(run.dir, "memray-objects.json"));
    expect(objects.method).toBe("gc-diff");
    const leaked = objects.objects.find((o: { type: string }) => o.type.endsWith("LeakedForecast"));
    expect(leaked).toMatchObject({ count: 4 });
  });

  it("sequence: RSS per request and a leak verdict for /leak", async () => {
    const run = await runCli(
      ["run", "debug/memray-sequence", "-e", `container_target=${CONTAINER}`, "-e", "endpoint_path=/leak", "-e", "request_count=6", "-e", "delay_seconds=0.1"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = JSON.parse(await readRunFile(path.join(cwd, run.lastLine), "summary.json"));
    expect(summary.requests).toHaveLength(6);
    expect(summary.requests.every((r: { status: number }) => r.status === 200)).toBe(true);
    expect(summary.leak_indicators.likely_leak).toBe(true);
    expect(summary.leak_indicators.rss_growth_mb).toBeGreaterThan(3);
    expect(existsSync(path.join(cwd, run.lastLine, "temporal.html"))).toBe(true);
  });
});
