import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, leakLine, profile } from "./engine-env.js";

const OPTIMIZATION = "local-optimization-1";
const TRIXIE = "local-forecast-trixie-1";
const ready = await engineReady([OPTIMIZATION, TRIXIE]);

describe.runIf(ready)(`${OPTIMIZATION} (Flask/Gunicorn with 2 workers)`, () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(OPTIMIZATION, cwd);
  });

  it("endpoint: the app is found from gunicorn's command line and /run answers 200", async () => {
    const run = await profile(["--target", OPTIMIZATION, "--mode", "endpoint", "--endpoint", "/run"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.requests[0]).toMatchObject({ status: 200 });
    expect(await readFile(path.join(run.dir, "table.txt"), "utf8")).toMatch(/optimization_service\/app\.py:\d+/);
  });

  it("leaks: table.txt and leaks.html name the LeakedPlan line", async () => {
    const site = `optimization_service/app.py:${leakLine("optimization_service")}`;
    const run = await profile(["--target", OPTIMIZATION, "--mode", "leaks", "--endpoint", "/leak", "--requests", "2"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const table = await readFile(path.join(run.dir, "table.txt"), "utf8");
    expect(table.split("\n").find((line) => line.includes(site))).toMatch(/2\.0 MiB/);
    expect(await readFile(path.join(run.dir, "leaks.html"), "utf8")).toContain("optimization_service/app.py");
  });
});

describe.runIf(ready)(`${TRIXIE} (Python 3.13): objects through memray's object-lifetime tracking`, () => {
  it("memray-objects.json lists LeakedForecast with the right count, method memray", async () => {
    const cwd = await workspaceWithTestCases();
    await installMemray(TRIXIE, cwd);
    const run = await profile(["--target", TRIXIE, "--mode", "objects", "--endpoint", "/leak", "--requests", "3"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const objects = JSON.parse(await readFile(path.join(run.dir, "memray-objects.json"), "utf8"));
    expect(objects.method).toBe("memray-surviving-objects");
    expect(objects.python_version).toMatch(/^3\.13\./);
    const leaked = objects.objects.find((o: { type: string }) => o.type.endsWith("LeakedForecast"));
    expect(leaked).toMatchObject({ count: 3 });
    expect(leaked.size).toBeGreaterThan(0);
    expect(run.summary.artifacts.objects_json).toBe(`${run.lastLine}/memray-objects.json`);
  });
});
