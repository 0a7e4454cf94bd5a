import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cliBin, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray } from "./engine-env.js";
import { LIVE_WEB_CLIENT } from "../helpers/live-web-client.js";

const CONTAINER = "local-forecast-1";
const ready = await engineReady([CONTAINER]);

describe.runIf(ready)("live-web on a container: SocketDestination on 9001, forwarded to 127.0.0.1", () => {
  it("memray's live client connects through the forward and sees the service's allocations", async () => {
    const cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
    const cli = execa("node", [cliBin, "profile", "--target", CONTAINER, "--mode", "live-web", "--timeout", "25"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1" },
    });
    let stderr = "";
    const announced = new Promise<{ live: number; service: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no live announcement:\n${stderr}`)), 120_000);
      cli.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const live = /memray live (\d+)/.exec(stderr);
        const service = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (live && service) {
          clearTimeout(timer);
          resolve({ live: Number(live[1]), service: service[1]! });
        }
      });
    });
    try {
      const { live, service } = await announced;
      const client = await execa("python3", ["-c", LIVE_WEB_CLIENT, String(live), service], { reject: false, timeout: 60_000 });
      expect(client.exitCode, client.stderr).toBe(0);
      expect(client.stdout).toMatch(/SITES .*forecast_service\/app\.py:\d+/);
    } catch (error) {
      // stop the run the way a user would, so it cleans up in the container before the test fails
      cli.kill("SIGINT");
      await cli;
      throw error;
    }
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const runDir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
    const summary = JSON.parse(await readFile(path.join(runDir, "summary.json"), "utf8"));
    expect(summary.mode).toBe("live-web");
    expect(summary.error).toBeNull();
  });
});
