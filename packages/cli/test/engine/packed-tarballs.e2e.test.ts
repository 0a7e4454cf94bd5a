import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { summarySchema } from "@alpiq/memray-core";
import { installPackedTarballs, runProjectScript } from "../helpers/packed-project.js";
import { engineReady, installMemray } from "./engine-env.js";

// The "done when": a script in an empty project that installed the packed tarballs profiles a
// container with profile({...}) and gets the summary back. The same registry and clients as the CLI
// (createDefaultDeps): the container found by name, its interpreter and WSGI app read from its command.

const CONTAINER = "local-forecast-1";
const ready = await engineReady([CONTAINER]);

describe.runIf(ready)(`profile() from the packed tarballs on ${CONTAINER}`, () => {
  let project: string;

  beforeAll(async () => {
    project = await installPackedTarballs("memray-tarballs-engine-");
    await installMemray(CONTAINER, project);
  });

  it("an endpoint run: exit code 0, the summary with the request's status and the container as target, the run directory on this host", async () => {
    const output = await runProjectScript(
      project,
      "profile-container.mjs",
      `import { profile } from "@alpiq/memray-cli";

const steps = [];
const { runDir, summary, exitCode } = await profile({
  target: ${JSON.stringify(CONTAINER)},
  mode: "endpoint",
  endpoint: "/forecast",
  onProgress: (event) => event.type === "step" && steps.push(event.message),
});
console.log(JSON.stringify({ runDir, summary, exitCode, steps }));
`,
    );
    expect(output.exitCode).toBe(0);
    const summary = summarySchema.parse(output.summary);
    expect(summary.mode).toBe("endpoint");
    expect(summary.requests).toHaveLength(1);
    expect(summary.requests[0]).toMatchObject({ request_num: 1, status: 200 });
    expect(summary.target).toMatchObject({ kind: "docker", name: CONTAINER, service_port: 5000 });
    expect(summary.profiling.memray_enabled).toBe(true);
    expect(output.steps).toContainEqual(expect.stringMatching(new RegExp(`^connecting to .*${CONTAINER}$`)));
    const runDir = String(output.runDir);
    expect(path.dirname(runDir)).toBe(path.join(project, "runs"));
    expect(JSON.parse(await readFile(path.join(runDir, "summary.json"), "utf8"))).toEqual(output.summary);
    expect(await readFile(path.join(runDir, "table.txt"), "utf8")).toMatch(/forecast_service\/app\.py:\d+ +compute_forecast/);
    for (const file of ["session.bin", "flamegraph.html", "index.html"]) expect(existsSync(path.join(runDir, file)), file).toBe(true);
  });

  it("a container that does not exist: a typed error (CONTAINER_NOT_FOUND, exit code 3) before any run", async () => {
    const output = await runProjectScript(
      project,
      "profile-missing.mjs",
      `import { profile, MemrayError } from "@alpiq/memray-cli";

try {
  await profile({ target: "no-such-container-memray-test", mode: "endpoint", endpoint: "/forecast", out: "missing-runs" });
  console.log(JSON.stringify({ resolved: true }));
} catch (error) {
  console.log(JSON.stringify({ memrayError: error instanceof MemrayError, code: error.code, exitCode: error.exitCode, hint: error.hint }));
}
`,
    );
    expect(output).toMatchObject({ memrayError: true, code: "CONTAINER_NOT_FOUND", exitCode: 3 });
    expect(existsSync(path.join(project, "missing-runs"))).toBe(false);
  });
});
