import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema, type Summary } from "@alpiq/memray-core";
import { watchStderr } from "@alpiq/memray-test-support";
import { cliBin, repoRoot, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, leakLine, profile, readRunFile } from "./engine-env.js";

/**
 * Leak verdicts on the fixture service, through the CLI, real containers and real memray. Every verdict
 * runs three times: it must not flap. What each run found is printed as `[verdict] ...` for the record.
 */
const CONTAINER = "local-forecast-1";
const ready = await engineReady([CONTAINER]);
const ATTEMPTS = [1, 2, 3];
const MIB_KB = 1024;

/** Line of the code line marked `# <marker>` in the forecast fixture. */
function markerLine(marker: string): number {
  const lines = readFileSync(path.join(repoRoot, "tools/fixtures/forecast_service/app.py"), "utf8").split("\n");
  const index = lines.findIndex((line) => line.trimEnd().endsWith(`# ${marker}`) && !line.trimStart().startsWith("#"));
  if (index < 0) throw new Error(`no # ${marker} in forecast_service/app.py`);
  return index + 1;
}

function within(value: number | null | undefined, truth: number, pct: number): boolean {
  return typeof value === "number" && Math.abs(value - truth) <= (truth * pct) / 100;
}

function record(what: string, attempt: number, summary: Summary): void {
  const li = summary.leak_indicators;
  console.info(
    `[verdict] ${what} #${attempt}: likely_leak=${li.likely_leak} source=${li.source} estimate=${li.estimate_kb_per_request} KB/request ` +
      `CI [${li.ci_low_kb_per_request}, ${li.ci_high_kb_per_request}] significance=${li.significance} · ${li.reason}`,
  );
}

describe.runIf(ready)(`leak verdicts on ${CONTAINER}'s fixture endpoints (sequence mode, three runs each)`, () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
  });

  const sequence = (endpoint: string, requests: number, extra: string[] = []) =>
    profile(["--target", CONTAINER, "--mode", "sequence", "--endpoint", endpoint, "--requests", String(requests), "--delay", "0.1", ...extra], cwd);

  it.each(ATTEMPTS)(
    "GET /leak (1 MiB per request on # LEAK-LINE): likely leak, estimate within 10%, the line is the first growth site (#%i)",
    async (attempt) => {
      const run = await sequence("/leak", 20);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(summarySchema.safeParse(run.summary).success).toBe(true);
      record("/leak", attempt, run.summary);
      const li = run.summary.leak_indicators;
      expect(li).toMatchObject({ likely_leak: true, source: "heap", method: "theil-sen" });
      expect(within(li.estimate_kb_per_request, MIB_KB, 10), String(li.estimate_kb_per_request)).toBe(true);
      const [first] = run.summary.growth_sites ?? [];
      expect(first?.site).toBe(`forecast_service/app.py:${leakLine("forecast_service")}`);
      expect(first?.function).toBe("leak");
      expect(within(first?.kb_per_request, MIB_KB, 10), String(first?.kb_per_request)).toBe(true);
      const text = await readRunFile(run.dir, "requests.txt");
      expect(text).toMatch(/^Verdict: LIKELY LEAK$/m);
      expect(text).toContain(first!.site);
      expect(run.stderr).toMatch(/leak verdict: The heap grew by a median of 1\.0\d MiB on 19 of 19 requests after warm-up/);
    },
  );

  it.each(ATTEMPTS)("GET /cache (filled on the first request, then flat): no leak over 20 requests (#%i)", async (attempt) => {
    const run = await sequence("/cache", 20);
    expect(run.exitCode, run.stderr).toBe(0);
    record("/cache", attempt, run.summary);
    const li = run.summary.leak_indicators;
    expect(li).toMatchObject({ likely_leak: false, source: "heap" });
    expect(Math.abs(li.estimate_kb_per_request ?? Infinity)).toBeLessThan(1);
    const first = run.summary.requests[0]!;
    expect(within(first.heap_delta, 8 * MIB_KB, 10), String(first.heap_delta)).toBe(true); // the cache, filled once
    expect(first.heap_sites?.[0]?.site).toBe(`forecast_service/app.py:${markerLine("CACHE-LINE")}`);
  });

  it.each(ATTEMPTS)("GET /startup-leak (3 MiB per request, a 32 MiB start-up buffer released once early): likely leak (#%i)", async (attempt) => {
    const run = await sequence("/startup-leak", 15);
    expect(run.exitCode, run.stderr).toBe(0);
    record("/startup-leak", attempt, run.summary);
    const li = run.summary.leak_indicators;
    expect(li).toMatchObject({ likely_leak: true, source: "heap", monotonic_growth: false });
    expect(within(li.estimate_kb_per_request, 3 * MIB_KB, 15), String(li.estimate_kb_per_request)).toBe(true);
    expect(li.reason).toMatch(/on 13 of 14 requests after warm-up/);
    expect(run.summary.requests[2]!.heap_delta).toBeLessThan(0); // the release is there
    expect(run.summary.growth_sites?.[0]?.site).toBe(`forecast_service/app.py:${markerLine("STARTUP-LEAK-LINE")}`);
  });

  it.each(ATTEMPTS)("GET /churn (memory up and down at random, no trend): no leak over 20 requests (#%i)", async (attempt) => {
    const run = await sequence("/churn", 20);
    expect(run.exitCode, run.stderr).toBe(0);
    record("/churn", attempt, run.summary);
    const li = run.summary.leak_indicators;
    expect(li).toMatchObject({ likely_leak: false, source: "heap" });
    expect(li.ci_low_kb_per_request!).toBeLessThan(0);
    expect(li.ci_high_kb_per_request!).toBeGreaterThan(0);
  });

  it("GET /flaky (500 on every 4th request, an unhandled crash on every 7th): every request recorded, the run completes, the verdict counts the failures", async () => {
    const run = await sequence("/flaky", 12);
    expect(run.exitCode).toBe(1); // a 5xx fails the workload; everything is still made
    const statuses = run.summary.requests.map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 500, 500, 200, 200, 200, 500]);
    expect(run.summary.error).toMatch(/answered 500/);
    expect(run.summary.leak_indicators.failed_requests).toBe(4);
    expect(run.summary.leak_indicators.reason).toMatch(/^4 of 12 requests failed \(4 answered >= 500\); /);
    for (const file of ["requests.txt", "temporal.html", "table.txt"]) expect(existsSync(path.join(run.dir, file)), file).toBe(true);
    expect(await readRunFile(run.dir, "requests.txt")).toMatch(/^ +7 +500 /m);
  });

  it("Ctrl-C during a sequence: stops after the current request, summary with what was collected, reports from the partial capture", async () => {
    const cli = execa("node", [cliBin, "profile", "--target", CONTAINER, "--mode", "sequence", "--endpoint", "/leak", "--requests", "300", "--delay", "0.2"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1" },
    });
    await watchStderr(cli).waitFor(/running the sequence workload/);
    await new Promise((resolve) => setTimeout(resolve, 4000)); // let a few requests through
    cli.kill("SIGINT");
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const runDir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
    const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as Summary;
    const done = summary.requests.length;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(300);
    expect(summary.error_code).toBe("INTERRUPTED");
    expect(summary.error).toContain(`after ${done} of 300 requests`);
    expect(summary.requests.every((r) => r.status === 200)).toBe(true);
    for (const file of ["temporal.html", "flamegraph.html", "table.txt", "requests.txt", "session.bin"]) {
      expect(existsSync(path.join(runDir, file)), file).toBe(true);
    }
    expect(readFileSync(path.join(runDir, "table.txt"), "utf8")).toContain(`forecast_service/app.py:${leakLine("forecast_service")}`);
  });

  it("--baseline / -e baseline=: compare.md and compare.json in the run, the verdict printed, exit 1 on a regression", async () => {
    const base = await sequence("/cache", 8, ["--name", "baseline"]);
    expect(base.exitCode, base.stderr).toBe(0);
    const baselineDir = path.relative(cwd, base.dir);
    // Same service, no regression: exit 0.
    const same = await sequence("/cache", 8, ["--baseline", baselineDir]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stderr).toMatch(/No regression|no regression/);
    expect(existsSync(path.join(same.dir, "compare.md"))).toBe(true);
    // The seed's recipe form; the leak verdict turns to likely_leak: a regression, exit 1.
    const run = await runCli(
      [
        "run",
        "debug/memray-sequence",
        "-e",
        `container_target=${CONTAINER}`,
        "-e",
        "endpoint_path=/leak",
        "-e",
        "request_count=8",
        "-e",
        "delay_seconds=0.1",
        "-e",
        `baseline=${baselineDir}`,
        "--json",
      ],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.summary.exit_code).toBe(0); // the run itself succeeded
    expect(out.compare.regression).toBe(true);
    expect(out.compare.leak.status).toBe("became_leak");
    expect(run.stderr).toMatch(/REGRESSION/);
    const dir = path.join(cwd, out.run_dir);
    expect(readFileSync(path.join(dir, "compare.md"), "utf8")).toMatch(/leak verdict/);
    expect(JSON.parse(readFileSync(path.join(dir, "compare.json"), "utf8")).regression).toBe(true);
    expect(out.summary.artifacts).toMatchObject({ compare_md: `${out.run_dir}/compare.md`, compare_json: `${out.run_dir}/compare.json` });
    expect(readFileSync(path.join(dir, "index.html"), "utf8")).toContain("compare.md");
  });
});
