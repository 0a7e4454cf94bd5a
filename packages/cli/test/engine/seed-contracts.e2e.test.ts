import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, profile, readRunFile } from "./engine-env.js";

// The seed's contracts kept where memray-cli bent them, in a real container: a script that writes the seed's
// fixed requests file, and an endpoint run given no path.

const CONTAINER = "local-forecast-1";
const ready = await engineReady([CONTAINER]);

/** A test case as the seed wrote them: its per-request data to the fixed path, not $MEMRAY_RUN_REQUESTS_FILE. */
const SEED_SCRIPT = `
import json, time
requests = []
held = []
for i in range(4):
    started = time.time()
    held.append(bytearray(256 * 1024))
    requests.append({"request_num": i + 1, "status": 200, "duration_s": round(time.time() - started, 6),
                     "rss_before": 1000 + i, "rss_after": 1001 + i})
with open("/tmp/memray-run-requests.json", "w") as f:
    json.dump(requests, f)
`;

describe.runIf(ready)(`the seed's contracts on ${CONTAINER}`, () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
    await mkdir(path.join(cwd, "seed-era"), { recursive: true });
    await writeFile(path.join(cwd, "seed-era", "seed_requests.py"), SEED_SCRIPT);
  });

  it("a script writing /tmp/memray-run-requests.json has its requests merged, and says where they came from", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "script", "--script", "seed-era/seed_requests.py", "--name", "newcomer-seed-requests"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(summarySchema.safeParse(run.summary).success).toBe(true);
    expect(run.summary.requests.map((r) => r.request_num)).toEqual([1, 2, 3, 4]);
    expect(run.summary.requests_source).toEqual({ file: "/tmp/memray-run-requests.json", kind: "seed", entries: 4 });
    expect(run.summary.leak_indicators.monotonic_growth).toBe(true);
    expect(run.stderr).toMatch(/per-request data: 4 entries read from \/tmp\/memray-run-requests\.json \(the seed's fixed path\)/);
  });

  it("the test-cases example (its own file) says so too", async () => {
    const run = await profile(
      ["--target", CONTAINER, "--mode", "script", "--script", "test-cases/example-sequential-requests.py", "--name", "newcomer-own-requests"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.requests_source?.kind).toBe("run");
    expect(run.summary.requests_source?.file).toMatch(/\/requests\.json$/);
    expect(run.summary.requests_source?.entries).toBe(run.summary.requests.length);
  });

  it("the seed's endpoint recipe without endpoint_path profiles the service's health route, never a 404 page", async () => {
    const run = await runCli(
      ["run", "debug/memray-container", "-e", `container_target=${CONTAINER}`, "-e", "profile_mode=endpoint", "--name", "newcomer-no-path", "--json"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const { summary, run_dir } = JSON.parse(run.stdout);
    expect(summary.requests[0].status).toBe(200);
    expect(summary.endpoint).toMatchObject({ path: "/health", method: "GET", chosen_by: "health route", framework: "flask" });
    expect(summary.endpoint.routes).toEqual(expect.arrayContaining(["GET|POST /forecast", "GET /leak"]));
    expect(summary.app).toEqual({ ref: "forecast_service.app:app", interface: "wsgi", lifespan: null });
    expect(run.stderr).toMatch(/no --endpoint given: profiling GET \/health, its health route/);
    expect(run.stderr).not.toMatch(/answered 404/);
    expect(JSON.parse(await readRunFile(path.join(cwd, run_dir), "summary.json")).endpoint.path).toBe("/health");
  });
});
