import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, profile, readRunFile } from "./engine-env.js";

const CONTAINER = "local-optimization-1";
const ready = await engineReady([CONTAINER]);

/** The seed's "Detect Memory Leaks Over Multiple Requests" workflow, step by step, against the fixture stack. */
describe.runIf(ready)(`the seed's "Detect Memory Leaks Over Multiple Requests" on ${CONTAINER} (Flask/Gunicorn)`, () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    // Step 2: install memray into the target service.
    await installMemray(CONTAINER, cwd);
  });

  it("steps 3-6: the sequence recipe verbatim, temporal.html, leak_indicators, compare with a baseline", { timeout: 900_000 }, async () => {
    // A baseline of the same endpoint to compare with (step 6), taken first.
    const baseline = await profile(
      ["--target", CONTAINER, "--mode", "sequence", "--endpoint", "/run", "--requests", "5", "--delay", "0.1", "--name", "baseline"],
      cwd,
    );
    expect(baseline.exitCode, baseline.stderr).toBe(0);

    // Step 3, verbatim.
    const run = await runCli(
      ["run", "debug/memray-sequence", "-e", `container_target=${CONTAINER}`, "-e", "endpoint_path=/run", "-e", "request_count=20", "-e", "delay_seconds=2"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.lastLine).toMatch(/^runs\/sequence-\d{8}-\d{6}/);
    const dir = path.join(cwd, run.lastLine);
    // Step 4: temporal.html to scrub through memory growth per request.
    expect(existsSync(path.join(dir, "temporal.html"))).toBe(true);
    // Step 5: summary.json → leak_indicators.monotonic_growth (and the verdict, with its reason).
    const summary = summarySchema.parse(JSON.parse(await readRunFile(dir, "summary.json")));
    expect(summary.requests).toHaveLength(20);
    expect(summary.requests.every((r) => r.status === 200)).toBe(true);
    expect(typeof summary.leak_indicators.monotonic_growth).toBe("boolean");
    expect(summary.leak_indicators).toMatchObject({ likely_leak: false, source: "heap", method: "theil-sen" });
    console.info(`[verdict] optimization /run: ${summary.leak_indicators.reason}`);
    expect(await readRunFile(dir, "requests.txt")).toMatch(/^Verdict: no leak detected$/m);
    // Step 6: compare with the baseline (memray-cli compare is the seed's memray-compare.py).
    const compare = await runCli(["compare", path.relative(cwd, baseline.dir), run.lastLine], cwd);
    expect([0, 1], compare.stderr).toContain(compare.exitCode);
    expect(compare.stdout).toMatch(/memray-compare/);
    expect(compare.stdout).toMatch(/leak verdict +no leak +no leak/);
  });
});
