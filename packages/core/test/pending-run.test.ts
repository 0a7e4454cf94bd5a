import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemrayError } from "../src/errors.js";
import { pendingRunStillRunning, waitForPendingRun, type PendingRun } from "../src/pending-run.js";
import { LocalTarget } from "../src/target/local-target.js";

/** A pending run whose "harness" is a real process naming the staging directory in its command line. */
async function pendingRun(): Promise<PendingRun> {
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-pending-test-"));
  return { choice: { kind: "local", label: "this host", params: {} }, outDir: path.join(scratchDir, "run"), scratchDir };
}

const started: ReturnType<typeof spawn>[] = [];

afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

describe("waiting for a pending run's harness in its target", () => {
  const target = new LocalTarget();

  it("a process naming the staging directory is the run still at work; none, and the run is done", async () => {
    const pending = await pendingRun();
    expect(await pendingRunStillRunning(target, pending)).toBe(false);
    const child = spawn("python3", ["-c", "import time, sys; time.sleep(30)", "--config", `${pending.scratchDir}/config.json`], { stdio: "ignore" });
    started.push(child);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await pendingRunStillRunning(target, pending)).toBe(true);
    // a staging directory that only starts the same way is another run's
    expect(await pendingRunStillRunning(target, { ...pending, scratchDir: `${pending.scratchDir}-other` })).toBe(false);
  });

  it("waits until the harness ends, saying so once", async () => {
    const pending = await pendingRun();
    const child = spawn("python3", ["-c", "import time; time.sleep(2)", pending.scratchDir], { stdio: "ignore" });
    started.push(child);
    await new Promise((resolve) => setTimeout(resolve, 200));
    let told = 0;
    const begun = Date.now();
    await waitForPendingRun(target, pending, { onWait: () => told++ });
    expect(told).toBe(1);
    expect(child.exitCode ?? (await new Promise((resolve) => child.once("exit", resolve)))).toBe(0);
    expect(Date.now() - begun).toBeGreaterThan(1000);
  });

  it("a harness that outlasts the wait: RUN_STILL_FINISHING (exit 3), and an aborted wait rejects", async () => {
    const pending = await pendingRun();
    started.push(spawn("python3", ["-c", "import time; time.sleep(30)", pending.scratchDir], { stdio: "ignore" }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await waitForPendingRun(target, pending, { timeoutSeconds: 0 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(MemrayError);
    expect((late as MemrayError).code).toBe("RUN_STILL_FINISHING");
    expect((late as MemrayError).exitCode).toBe(3);
    const stop = new AbortController();
    setTimeout(() => stop.abort("SIGINT"), 300);
    await expect(waitForPendingRun(target, pending, { signal: stop.signal })).rejects.toThrow();
    expect(stop.signal.aborted).toBe(true);
  });
});
