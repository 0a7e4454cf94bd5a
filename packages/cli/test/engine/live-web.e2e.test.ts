import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { driveLiveWeb } from "@alpiq/memray-test-support";
import { cliBin, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray } from "./engine-env.js";

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
    const { summary } = await driveLiveWeb(cli, cwd);
    expect(summary.mode).toBe("live-web");
    expect(summary.error).toBeNull();
  });
});
