import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRunDir, LocalTarget, runProfile, summarySchema, type HostSections, type RunSidecar } from "../src/index.js";

const harnessDir = path.resolve(import.meta.dirname, "../../../python");
const signals = { wiremock: { status: "ok" as const, files: ["wiremock-requests.json"], duration_seconds: 0.2, error: null } };

async function run(sidecar: RunSidecar) {
  const root = await mkdtemp(path.join(os.tmpdir(), "memray-sidecar-"));
  await writeFile(path.join(root, "work.py"), "blob = bytearray(2 * 1024 * 1024)\n");
  const runDir = await createRunDir({ outRoot: path.join(root, "runs"), name: "work", cwd: root });
  const events: string[] = [];
  const result = await runProfile(
    { mode: "script", script: "work.py", cwd: root, target: new LocalTarget(), runDir, sidecar },
    { onProgress: (event) => event.type === "harness" && events.push(String(event.event.event)) },
    { harnessDir },
  );
  const onDisk = summarySchema.parse(JSON.parse(await readFile(path.join(runDir.path, "summary.json"), "utf8")));
  return { result, onDisk, events, runDir };
}

describe("a run sidecar (signals around the workload)", () => {
  it("runs before the harness and after the workload; its sections land in the harness's one summary.json", async () => {
    const calls: string[] = [];
    const { result, onDisk, events, runDir } = await run({
      waitSeconds: 30,
      before: async () => void calls.push("before"),
      after: async (dir): Promise<HostSections> => {
        calls.push("after");
        await writeFile(path.join(dir.path, "wiremock-requests.json"), "{}");
        return { signals, artifacts: { wiremock_requests: `${dir.artifactPrefix}/wiremock-requests.json` }, warnings: [] };
      },
    });
    expect(result.exitCode).toBe(0);
    expect(calls).toEqual(["before", "after"]);
    expect(events).toContain("workload-done");
    expect(onDisk.signals).toEqual(signals);
    expect(onDisk.artifacts.wiremock_requests).toBe(`${runDir.artifactPrefix}/wiremock-requests.json`);
    expect(onDisk.warnings ?? []).not.toContain("the signals arrived after the harness stopped waiting for them");
    expect(existsSync(path.join(runDir.path, "host-sections.json"))).toBe(false);
  });

  it("sections later than the harness waits are still recorded, with a warning", async () => {
    const { result, onDisk, runDir } = await run({
      waitSeconds: 0.2,
      before: async () => undefined,
      after: async (dir) => {
        // Late for sure: only once the harness has given up waiting and written its summary.
        while (!existsSync(path.join(dir.path, "summary.json"))) await new Promise((resolve) => setTimeout(resolve, 50));
        return { signals, artifacts: {}, warnings: [] };
      },
    });
    expect(result.exitCode).toBe(0);
    expect(onDisk.signals).toEqual(signals);
    expect(onDisk.warnings).toContain("the signals arrived after the harness stopped waiting for them");
    expect(existsSync(path.join(runDir.path, "host-sections.json"))).toBe(false);
  });

  it("a sidecar that throws never fails the run", async () => {
    const { result, onDisk } = await run({
      waitSeconds: 5,
      before: async () => {
        throw new Error("engine gone");
      },
      after: async () => {
        throw new Error("engine still gone");
      },
    });
    expect(result.exitCode).toBe(0);
    expect(onDisk.warnings?.join("\n")).toMatch(/collecting signals failed: engine still gone/);
  });
});
