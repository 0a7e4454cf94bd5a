import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { watchStderr } from "@alpiq/memray-test-support";
import { clusterEnv, clusterReady, kubectl } from "@alpiq/memray-test-support/cluster";
import { beforeAll, describe, expect, it } from "vitest";
import { startCli, workspaceWithTestCases, writeOrphanScript } from "../cli-runner.js";
import { cli, installInPod } from "./cluster-env.js";

const ready = clusterReady();

/** memray-cli killed during a pod run: the harness in the pod finishes the run, recover brings it home. */
describe.runIf(ready)("a pod run whose memray-cli is killed", () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installInPod(["--target", "deploy/forecast"], cwd);
  }, 600_000);

  it("SIGKILL: the workload stops in the pod (HOST_LOST), recover copies the run out and completes it", { timeout: 300_000 }, async () => {
    const script = await writeOrphanScript(cwd);
    const child = startCli(["profile", "--target", "deploy/forecast", "--script", script, "--no-signals", "--name", "pod-orphan"], cwd, clusterEnv);
    await watchStderr(child).waitFor(/READY/);
    child.kill("SIGKILL");
    await child;
    const runs = path.join(cwd, "runs");
    const dir = path.join(runs, (await readdir(runs)).find((name) => name.startsWith("pod-orphan-"))!);
    let finished = false;
    for (let i = 0; i < 60 && !finished; i++) {
      finished = !kubectl(["exec", "deploy/forecast", "-c", "forecast", "--", "sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"]).includes(
        "orphan.py",
      );
      if (!finished) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(finished).toBe(true);
    const recovered = await cli(["recover", dir, "--json"], cwd);
    expect(JSON.parse(recovered.lastLine).summary.error_code, recovered.stderr).toBe("HOST_LOST");
    expect(await readFile(path.join(dir, "table.txt"), "utf8")).toMatch(/orphan\.py:2/);
    expect(existsSync(path.join(dir, ".memray-cli-pending.json"))).toBe(false);
  });
});
