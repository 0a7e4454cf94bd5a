import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import { MemrayError, summarySchema } from "@alpiq/memray-core";
import { captureStream } from "@alpiq/memray-test-support";
import { profile, type ProfileApiOptions, type ProfileProgress } from "../src/index.js";
import { PROFILE_FLAGS, type ProfileFlagField } from "../src/profile-flags.js";

// profile() from code, on this host, in-process: the same options as `memray-cli profile` by their
// field names, a run's result (also when it failed), typed errors before a run, nothing printed and no
// process.exit unless asked, progress through onProgress, abort as Ctrl-C. Containers and pods go
// through the same registry and clients (createDefaultDeps): their engine and cluster are named here
// by an environment that has none; the engine suite profiles a real container.

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-api-"));
  await writeFile(path.join(cwd, "load.py"), "data = bytearray(2 * 1024 * 1024)\n");
  await writeFile(path.join(cwd, "big.py"), "data = bytearray(40 * 1024 * 1024)\n");
  await writeFile(path.join(cwd, "fails.py"), 'raise RuntimeError("boom")\n');
  await writeFile(path.join(cwd, "slow.py"), 'import time\nblob = bytearray(4 * 1024 * 1024)\nprint("READY", flush=True)\ntime.sleep(60)\n');
});

afterEach(() => vi.restoreAllMocks());

/** What `profile()` rejects with, checked to be a MemrayError. */
async function rejection(options: ProfileApiOptions): Promise<MemrayError> {
  const error = await profile(options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, JSON.stringify(options)).toBeInstanceOf(MemrayError);
  return error as MemrayError;
}

describe("profile() on this host", () => {
  it("resolves with the run directory, its summary and exit code 0; prints nothing and never exits the process", async () => {
    const stdout = vi.spyOn(process.stdout, "write");
    const stderr = vi.spyOn(process.stderr, "write");
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const events: ProfileProgress[] = [];
    const result = await profile({ mode: "script", script: "load.py", name: "api", cwd, onProgress: (event) => events.push(event) });
    expect(result.exitCode).toBe(0);
    expect(result.error).toBeUndefined();
    expect(path.isAbsolute(result.runDir)).toBe(true);
    expect(result.runDir).toBe(path.join(cwd, "runs", result.runId));
    expect(result.runId).toMatch(/^api-\d{8}-\d{6}$/);
    expect(summarySchema.parse(result.summary)).toEqual(JSON.parse(await readFile(path.join(result.runDir, "summary.json"), "utf8")));
    expect(result.summary.top_allocators[0]?.file).toMatch(/load\.py:1$/);
    expect(existsSync(path.join(result.runDir, "index.html"))).toBe(true);
    expect(result.compare).toBeUndefined();
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    // The progress: the CLI's first step, then the session's steps and the harness's events.
    expect(events[0]).toEqual({ type: "step", step: "connect", message: "preparing the local host" });
    expect(events.some((event) => event.type === "harness" && event.event.event === "report")).toBe(true);
    expect(events.filter((event) => event.type === "step").map((event) => (event as { message: string }).message)).toContain("profiling (script) on local");
  });

  it("a workload that fails still resolves: its summary says why, exit code 1", async () => {
    const result = await profile({ mode: "script", script: "fails.py", cwd });
    expect(result.exitCode).toBe(1);
    expect(result.summary.error).toMatch(/RuntimeError: boom/);
    expect(result.error).toBeUndefined();
    expect(existsSync(path.join(result.runDir, "summary.json"))).toBe(true);
  });

  it("echo: the progress and the outcome as the CLI shows them, on the stream given", async () => {
    const echo = captureStream();
    const result = await profile({ mode: "script", script: "load.py", cwd, echo: echo.stream });
    expect(result.exitCode).toBe(0);
    expect(echo.text()).toMatch(/^\[ +\d+\.\ds\] preparing the local host$/m);
    expect(echo.text()).toMatch(/✔ report flamegraph/);
    expect(echo.text()).toMatch(/^RSS .* → /m);
    // Not a terminal: no colour codes, whatever picocolors guesses from the environment (CI=true colours).
    expect(echo.text()).not.toMatch(/\u001b\[/);
  });

  it("an abort stops the run as Ctrl-C does: what was measured is kept, exit code 130", async () => {
    const controller = new AbortController();
    const result = await profile({
      mode: "script",
      script: "slow.py",
      cwd,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === "output" && event.line.includes("READY")) controller.abort();
      },
    });
    expect(result.exitCode).toBe(130);
    expect(result.summary.error_code).toBe("INTERRUPTED");
    expect(result.summary.duration_seconds).toBeLessThan(30);
    expect(existsSync(path.join(result.runDir, "flamegraph.html"))).toBe(true);
    // Aborted before it began: no run, a typed error.
    const error = await rejection({
      mode: "script",
      script: "load.py",
      cwd: await mkdtemp(path.join(os.tmpdir(), "memray-cli-api-")),
      signal: AbortSignal.abort(),
    });
    expect(error).toMatchObject({ code: "INTERRUPTED", exitCode: 130 });
  });

  it("baseline: the comparison comes back, and a regression makes the exit code 1", async () => {
    const base = await profile({ mode: "script", script: "load.py", name: "base", cwd });
    const result = await profile({ mode: "script", script: "big.py", cwd, baseline: base.runDir });
    expect(result.summary.exit_code).toBe(0);
    expect(result.exitCode).toBe(1);
    expect(result.compare?.regression).toBe(true);
    expect(existsSync(path.join(result.runDir, "compare.json"))).toBe(true);
  });
});

describe("profile(): typed errors before any run", () => {
  it.each([
    [{ mode: "endpoint", endpoint: "forecast" }, "INVALID_OPTION", 2, /^endpoint expects a path starting with \/, received "forecast"/],
    [{ mode: "sequence" }, "INVALID_OPTION", 2, /^app is required by mode sequence/],
    [{ mode: "script", script: "load.py", requests: 0 }, "INVALID_OPTION", 2, /^requests expects an integer from 1 to 100000, received 0/],
    [{ mode: "script", script: "load.py", signalsTimeout: 0 }, "INVALID_OPTION", 2, /^signalsTimeout expects a number of seconds from 0.1 to 600/],
    [{ mode: "snapshots" }, "INVALID_OPTION", 2, /^mode expects one of snapshot, endpoint, script, .*received "snapshots"/],
    [{ mode: "script", script: "nowhere.py" }, "SCRIPT_NOT_FOUND", 2, /^Script not found: nowhere\.py/],
    [{ mode: "script", script: "load.py", baseline: "runs/nothing-here" }, "RUN_NOT_FOUND", 2, /nothing-here/],
    [{ mode: "script", script: "load.py", scrpt: "x" }, "INVALID_OPTION", 2, /^profile\(\) has no option "scrpt"/],
    [{ mode: "script", script: "load.py", repeat: 3, json: true }, "INVALID_OPTION", 2, /^profile\(\) has no option "repeat", "json"/],
  ] as const)("%j: %s (exit %i)", async (options, code, exitCode, message) => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), "memray-cli-api-bad-"));
    await writeFile(path.join(scratch, "load.py"), "x = 1\n");
    const error = await rejection({ ...(options as unknown as ProfileApiOptions), cwd: scratch });
    expect(error).toMatchObject({ code, exitCode });
    expect(error.reason).toMatch(message);
    expect(error.hint.length).toBeGreaterThan(0);
    expect(error.hint).not.toMatch(/memray-cli <command> --help/);
    expect(existsSync(path.join(scratch, "runs")), "no run directory").toBe(false);
  });

  it("containers and pods through the CLI's registry and clients: the engine or cluster the environment names is asked", async () => {
    const noEngine = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    expect(await rejection({ target: "local-forecast-1", mode: "snapshot", env: noEngine, cwd })).toMatchObject({
      code: "DOCKER_ENGINE_UNAVAILABLE",
      exitCode: 3,
    });
    const noCluster = { KUBECONFIG: "/nonexistent/kubeconfig" };
    for (const where of [{ target: "deploy/forecast" }, { target: "pod/forecast-0", namespace: "shop" }, { selector: "app=forecast" }]) {
      expect(await rejection({ ...where, mode: "snapshot", env: noCluster, cwd })).toMatchObject({ code: "KUBERNETES_UNAVAILABLE", exitCode: 3 });
    }
    // Kubernetes fields without a pod: refused like their flags are.
    expect((await rejection({ target: "local-forecast-1", namespace: "shop", mode: "snapshot", env: noEngine, cwd })).reason).toMatch(/namespace/);
  });

  it("takes every flag of `memray-cli profile` by its field name but json, quiet and repeat", async () => {
    expectTypeOf<keyof ProfileApiOptions>().toEqualTypeOf<
      Exclude<ProfileFlagField, "json" | "quiet" | "repeat"> | "scriptArgs" | "cwd" | "env" | "onProgress" | "echo" | "signal"
    >();
    for (const spec of PROFILE_FLAGS) {
      const error = await rejection({ mode: "snapshots", [spec.field]: "x" } as unknown as ProfileApiOptions);
      if (["json", "quiet", "repeat"].includes(spec.field)) expect(error.reason).toMatch(`has no option "${spec.field}"`);
      else expect(error.reason, spec.field).not.toMatch(/has no option/);
    }
  });
});
