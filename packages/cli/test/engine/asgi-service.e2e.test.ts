import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { driveLiveWeb } from "@alpiq/memray-test-support";
import { cliBin, repoRoot, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, profile, readRunFile } from "./engine-env.js";

// The FastAPI fixture on uvicorn (tools/fixtures/asgi_service, container local-asgi-1): its command is
// recognised (no --app), the harness drives the app through the ASGI interface, every service mode works.

const CONTAINER = "local-asgi-1";
const ready = await engineReady([CONTAINER]);

function asgiLeakLine(): number {
  const lines = readFileSync(path.join(repoRoot, "tools/fixtures/asgi_service/app.py"), "utf8").split("\n");
  const index = lines.findIndex((line) => /^\s+\S.*# LEAK-LINE\s*$/.test(line) && !line.includes("``"));
  if (index < 0) throw new Error("no # LEAK-LINE in asgi_service/app.py");
  return index + 1;
}

describe.runIf(ready)(`an ASGI service: FastAPI on uvicorn in ${CONTAINER}`, () => {
  let cwd: string;
  const leakSite = `asgi_service/app.py:${asgiLeakLine()}`;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
  });

  it("sequence: uvicorn's command read, the app driven through ASGI, its leak line found", async () => {
    const run = await profile(
      ["--target", CONTAINER, "--mode", "sequence", "--endpoint", "/leak", "--requests", "8", "--delay", "0.1", "--name", "newcomer-asgi-sequence"],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(summarySchema.safeParse(run.summary).success).toBe(true);
    expect(run.stderr).toMatch(/service: uvicorn serves asgi_service\.app:app \(ASGI\) from \/srv\/app/);
    const { summary } = run;
    expect(summary.app).toEqual({ ref: "asgi_service.app:app", interface: "asgi", lifespan: "started" });
    expect(summary.requests.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(summary.leak_indicators.likely_leak).toBe(true);
    expect(summary.growth_sites?.[0]?.site).toBe(leakSite);
    expect(summary.top_allocators[0]?.file).toBe(leakSite);
    const table = await readRunFile(run.dir, "table.txt");
    expect(table.split("\n").find((line) => line.includes(leakSite))).toMatch(/\d+\.\d MiB/);
    expect(summary.target).toMatchObject({ kind: "docker", name: CONTAINER, service_port: 7000 });
  });

  it("endpoint without --endpoint: the health route, said in a progress line and the summary (its lifespan state reached it)", async () => {
    const run = await profile(["--target", CONTAINER, "--mode", "endpoint", "--name", "newcomer-asgi-endpoint"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/no --endpoint given: profiling GET \/health, its health route/);
    expect(run.summary.endpoint).toMatchObject({ path: "/health", method: "GET", chosen_by: "health route", framework: "starlette" });
    expect(run.summary.endpoint?.routes).toEqual(expect.arrayContaining(["GET /ok", "GET /leak", "GET /items/{item_id}"]));
    expect(run.summary.requests[0]?.status).toBe(200);
  });

  it("a synchronous endpoint (FastAPI's thread pool) in leaks mode; an app error is the app's 500, not ours", async () => {
    const leaks = await profile(["--target", CONTAINER, "--mode", "leaks", "--endpoint", "/ok", "--requests", "3", "--name", "newcomer-asgi-leaks"], cwd);
    expect(leaks.exitCode, leaks.stderr).toBe(0);
    expect(leaks.summary.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    const failing = await profile(["--target", CONTAINER, "--mode", "endpoint", "--endpoint", "/error", "--name", "newcomer-asgi-error"], cwd);
    expect(failing.exitCode).toBe(1);
    expect(failing.summary.requests[0]?.status).toBe(500);
    expect(failing.summary.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/the app raised DeliberateError: deliberate failure from GET \/error/)]),
    );
    expect(failing.summary.error).not.toMatch(/missing .* 'send'/);
  });

  it("live-web: the app served on a port by the harness's HTTP server, memray's live client sees its allocations", async () => {
    const cli = execa("node", [cliBin, "profile", "--target", CONTAINER, "--mode", "live-web", "--timeout", "30", "--name", "newcomer-asgi-live"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1" },
    });
    const { summary } = await driveLiveWeb(cli, cwd, "asgi_service");
    expect(summary.mode).toBe("live-web");
    expect(summary.error).toBeNull();
    expect(summary.app?.interface).toBe("asgi");
  });
});
