import { existsSync } from "node:fs";
import http from "node:http";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarySchema, type Summary } from "@alpiq/memray-core";
import { watchStderr } from "@alpiq/memray-test-support";
import { runCli, startCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, leakLine, profile } from "./engine-env.js";

/**
 * Mode attach against the running services of the fixture stack: local-optimization-1 (gunicorn, 2
 * workers; gdb 16 and SYS_PTRACE: the debugger way) and local-forecast-1 (waitress; started with
 * MEMRAY_CLI_AGENT=1: the agent way). The services themselves are measured, under real traffic sent
 * to their published ports; they must answer and keep their pids throughout.
 */
const OPTIMIZATION = "local-optimization-1";
const FORECAST = "local-forecast-1";
const DENIED = `memray-test-attach-denied-${process.pid}`;
const NO_DEBUGGER = `memray-test-attach-nogdb-${process.pid}`;
const ready = await engineReady([OPTIMIZATION, FORECAST]);

/** The pids of the service's server processes (gunicorn, waitress) in the container. */
async function pids(container: string): Promise<string[]> {
  const out = await execa("docker", [
    "exec",
    container,
    "sh",
    "-c",
    'for p in /proc/[0-9]*; do printf "%s " "${p#/proc/}"; tr "\\0" " " < "$p/cmdline" 2>/dev/null; echo; done',
  ]);
  return String(out.stdout)
    .split("\n")
    .filter((line) => /gunicorn|waitress-serve/.test(line))
    .map((line) => line.split(" ")[0]!)
    .sort();
}

/** One GET to 127.0.0.1:port (node's http: fetch refuses port 6000, one of the browsers' "bad ports"); its status, 0 when none came. */
function get(port: number, route: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: route, timeout: 5000 }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(0));
  });
}

/**
 * No process of the container is traced or tracking: no debugger attached (TracerPid 0) and no agent
 * an injection started left behind (a one-session agent removes its socket when its session ends).
 */
async function nothingTracking(container: string): Promise<void> {
  const tracers = await execa("docker", ["exec", container, "sh", "-c", "grep -h TracerPid /proc/[0-9]*/status | sort -u"]);
  expect(String(tracers.stdout).trim()).toBe("TracerPid:\t0");
  const sockets = await execa("docker", ["exec", container, "sh", "-c", "ls /tmp/memray-cli-agent-*/ 2>/dev/null || true"]);
  expect(String(sockets.stdout).trim()).toBe("");
}

/** `count` GETs to 127.0.0.1:port/path, `gapMs` apart (bounded in count and time), while `until` is pending. */
async function traffic(port: number, route: string, count: number, gapMs: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    statuses.push(await get(port, route));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return statuses;
}

const merged = (summary: Summary) => summary.attach?.top_allocators ?? [];

describe.runIf(ready)("mode attach: the running service itself", () => {
  let cwd: string;
  let leakSite: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await Promise.all([installMemray(OPTIMIZATION, cwd), installMemray(FORECAST, cwd)]);
    leakSite = `optimization_service/app.py:${leakLine("optimization_service")}`;
  });

  afterAll(async () => {
    await execa("docker", ["rm", "-f", DENIED, NO_DEBUGGER], { reject: false });
  });

  it("gunicorn's two workers tracked in place by gdb while real traffic reaches 127.0.0.1:6000: one folder per worker, the leak site in the merged table, the service unchanged", {
    timeout: 180_000,
  }, async () => {
    const before = await pids(OPTIMIZATION);
    const running = profile(["--target", OPTIMIZATION, "--mode", "attach", "--duration", "12"], cwd);
    // The traffic starts once tracking has had time to start, and ends inside the window.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const statuses = await traffic(6000, "/leak", 20, 150);
    const run = await running;
    expect(run.exitCode, run.stderr).toBe(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const summary = summarySchema.parse(run.summary);
    expect(summary.mode).toBe("attach");
    const attach = summary.attach!;
    expect(attach.method).toBe("gdb");
    const workers = attach.processes.filter((p) => p.role === "worker");
    expect(workers).toHaveLength(2);
    for (const worker of workers) {
      expect(worker.status).toBe("tracked");
      expect(worker.dir).toBe(`processes/${worker.pid}-worker`);
      expect(existsSync(path.join(run.dir, worker.dir, "session.bin"))).toBe(true);
      expect(existsSync(path.join(run.dir, worker.dir, "flamegraph.html"))).toBe(true);
      expect(await readFile(path.join(run.dir, worker.dir, "table.txt"), "utf8")).toMatch(/optimization_service\/app\.py/);
    }
    const leak = merged(summary).find((site) => site.file === leakSite);
    expect(leak, JSON.stringify(merged(summary).slice(0, 5))).toBeDefined();
    expect(leak!.size_kb).toBeGreaterThan(10 * 1024); // 20 requests of 1 MiB reached one worker or the other
    expect(await readFile(path.join(run.dir, "index.html"), "utf8")).toContain(`processes/${workers[0]!.pid}-worker/`);
    // The service: same processes, still answering, nothing left tracing or tracking it.
    expect(await pids(OPTIMIZATION)).toEqual(before);
    expect(await get(6000, "/health")).toBe(200);
    await nothingTracking(OPTIMIZATION);
  });

  it("--endpoint /leak --requests 10 to the service's real port: likely_leak, the leak line first; attaching again right after works", {
    timeout: 180_000,
  }, async () => {
    for (let round = 0; round < 2; round++) {
      const run = await profile(["--target", OPTIMIZATION, "--mode", "attach", "--endpoint", "/leak", "--requests", "10", "--delay", "0.1"], cwd);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.summary.requests).toHaveLength(10);
      expect(run.summary.requests.every((r) => r.status === 200)).toBe(true);
      expect(run.summary.leak_indicators.likely_leak, run.summary.leak_indicators.reason).toBe(true);
      expect(merged(run.summary)[0]?.file).toBe(leakSite);
      expect(run.summary.top_allocators[0]?.file).toBe(leakSite);
    }
    await nothingTracking(OPTIMIZATION);
  });

  it("Ctrl-C in the window: tracking stops in every worker, the reports are still made, and no process is left tracking", { timeout: 180_000 }, async () => {
    const child = startCli(["profile", "--target", OPTIMIZATION, "--mode", "attach", "--duration", "120", "--no-signals"], cwd);
    await watchStderr(child).waitFor(/under the service's own traffic/);
    await traffic(6000, "/run", 3, 100);
    child.kill("SIGINT");
    const result = await child;
    const dir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
    const summary = summarySchema.parse(JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8")));
    expect(summary.attach?.stopped_by).toBe("interrupt");
    expect(summary.attach?.processes.filter((p) => p.status === "tracked")).toHaveLength(2);
    for (const p of summary.attach!.processes.filter((p) => p.role === "worker")) expect(existsSync(path.join(dir, p.dir, "flamegraph.html"))).toBe(true);
    await nothingTracking(OPTIMIZATION);
    expect(await get(6000, "/health")).toBe(200);
  });

  it("SIGKILL to memray-cli in the window: the harness ends the window and tracking in the container (HOST_LOST), recover brings every process's reports home", {
    timeout: 180_000,
  }, async () => {
    const child = startCli(["profile", "--target", OPTIMIZATION, "--mode", "attach", "--duration", "120", "--no-signals", "--name", "attach-lost"], cwd);
    await watchStderr(child).waitFor(/under the service's own traffic/);
    await traffic(6000, "/run", 3, 100);
    child.kill("SIGKILL");
    await child.catch(() => undefined);
    const runs = path.join(cwd, "runs");
    const dir = path.join(runs, (await readdir(runs)).find((name) => name.startsWith("attach-lost-"))!);
    expect(existsSync(path.join(dir, "summary.json"))).toBe(false);
    await nothingTracking(OPTIMIZATION);
    const recovered = await runCli(["recover", dir, "--json"], cwd);
    expect(recovered.exitCode, recovered.stderr).toBe(3);
    const summary = summarySchema.parse(JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8")));
    expect(summary.error_code).toBe("HOST_LOST");
    expect(summary.error).toMatch(/during the window/);
    expect(summary.attach?.stopped_by).toBe("interrupt");
    expect(summary.attach!.duration_seconds).toBeLessThan(120);
    const workers = summary.attach!.processes.filter((p) => p.role === "worker");
    expect(workers).toHaveLength(2);
    for (const p of workers) {
      expect(p.status).toBe("tracked");
      expect(existsSync(path.join(dir, p.dir, "flamegraph.html"))).toBe(true);
    }
    // the agent's own frames are the harness's, also when the service holds an agent an earlier run loaded
    expect(summary.top_allocators.map((site) => site.file).join("\n")).not.toMatch(/memray_harness/);
    expect(existsSync(path.join(dir, "index.html"))).toBe(true);
    expect(existsSync(path.join(dir, ".memray-cli-pending.json"))).toBe(false);
    expect(await get(6000, "/health")).toBe(200);
  });

  it("the agent way: waitress started with MEMRAY_CLI_AGENT=1 is tracked with no debugger", { timeout: 120_000 }, async () => {
    const running = profile(["--target", FORECAST, "--mode", "attach", "--duration", "8"], cwd);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await traffic(5000, "/leak", 10, 100);
    const run = await running;
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.attach?.method).toBe("agent");
    expect(run.summary.attach?.processes.map((p) => [p.role, p.status])).toEqual([["main", "tracked"]]);
    expect(merged(run.summary)[0]?.file).toBe(`forecast_service/app.py:${leakLine("forecast_service")}`);
  });

  it("workers the harness may not trace (gunicorn --user 1000, no SYS_PTRACE): ATTACH_PTRACE_DENIED (exit 3) naming the one line to add; the service untouched", {
    timeout: 180_000,
  }, async () => {
    await execa("docker", [
      "run",
      "-d",
      "--name",
      DENIED,
      "memray-cli/optimization:trixie",
      "gunicorn",
      "--workers",
      "2",
      "--user",
      "1000",
      "--group",
      "1000",
      "--bind",
      "127.0.0.1:6000",
      "optimization_service.app:app",
    ]);
    await installMemray(DENIED, cwd);
    const before = await pids(DENIED);
    const run = await profile(["--target", DENIED, "--mode", "attach", "--duration", "3", "--no-signals"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.summary.error_code).toBe("ATTACH_PTRACE_DENIED");
    expect(run.stderr).toMatch(/cap_add: \[SYS_PTRACE\]/);
    expect(run.stderr).toMatch(/MEMRAY_CLI_AGENT=1/);
    expect(await pids(DENIED)).toEqual(before);
    await nothingTracking(DENIED);
  });

  it("no debugger and no agent: ATTACH_DEBUGGER_MISSING naming `install --attach`; after it (gdb from Debian), the same service is tracked", {
    timeout: 600_000,
  }, async (ctx) => {
    if (process.env.MEMRAY_TEST_ONLINE !== "1") ctx.skip(); // apt-get reaches the Debian mirror
    // forecast on trixie: the agent is on its path but not started (no MEMRAY_CLI_AGENT), and no gdb.
    await execa("docker", [
      "run",
      "-d",
      "--name",
      NO_DEBUGGER,
      "--network",
      "host",
      "memray-cli/forecast:trixie",
      "waitress-serve",
      "--host=127.0.0.1",
      "--port=5099",
      "forecast_service.app:app",
    ]);
    await installMemray(NO_DEBUGGER, cwd);
    const refused = await profile(["--target", NO_DEBUGGER, "--mode", "attach", "--duration", "2", "--port", "5099", "--no-signals"], cwd);
    expect(refused.exitCode).toBe(3);
    expect(refused.summary.error_code).toBe("ATTACH_DEBUGGER_MISSING");
    expect(refused.stderr).toMatch(/memray-cli install --target \S+ --attach/);
    const install = await runCli(["install", "--target", NO_DEBUGGER, "--attach", "--json"], cwd);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(JSON.parse(install.lastLine)).toMatchObject({ attachDebugger: "installed", gdbVersion: expect.stringMatching(/GNU gdb/) });
    const run = await profile(["--target", NO_DEBUGGER, "--mode", "attach", "--duration", "3", "--port", "5099", "--no-signals"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.attach?.method).toBe("gdb");
    await nothingTracking(NO_DEBUGGER);
  });
});
