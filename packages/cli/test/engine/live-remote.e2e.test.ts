import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "@alpiq/memray-core";
import { watchStderr } from "@alpiq/memray-test-support";
import { cliBin, repoRoot, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, leakLine } from "./engine-env.js";

const CONTAINER = "local-forecast-1";
const ready = await engineReady([CONTAINER]);

/**
 * memray's own live client (what `memray live PORT` uses), run on the host against the forwarded port:
 * read snapshots until the expected site shows up or the tracked process ends (then the last snapshot).
 * Optionally sends requests to the served app first (live-web).
 */
const LIVE_CLIENT = `
import sys, time, urllib.request
from memray import SocketReader
port, needle, service = int(sys.argv[1]), sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
with SocketReader(port=port) as reader:
    print("CONNECTED pid", reader.pid, flush=True)
    sent, deadline = 0, time.monotonic() + 60
    while service and sent < 3:
        try:  # the app is served once the client is connected: its first answer may take a moment
            urllib.request.urlopen(service + "leak", timeout=30).read()
            sent += 1
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    deadline = time.monotonic() + 120
    sites = set()
    while time.monotonic() < deadline:
        active = reader.is_active
        sites = {f"{f[1]}:{f[2]}" for r in reader.get_current_snapshot(merge_threads=True) for f in r.stack_trace()[:1]}
        if any(needle in s for s in sites) or not active:
            break
        time.sleep(0.2)
    print("SITES", *sorted(s for s in sites if needle.split(":")[0] in s))
`;

/**
 * What is left in the container of a live run: whether process `pid` (the tracked harness, as memray's
 * client saw it) still runs, relays still connected to `containerPort`, and a listener on it. Other tests
 * may profile the same container at the same time: only this run's pid and (unique) port are looked at.
 */
async function leftInContainer(containerPort: number, pid: number | undefined): Promise<string[]> {
  const probe = `import os, sys
port, pid = int(sys.argv[1]), int(sys.argv[2])
if pid > 0 and os.path.exists("/proc/%d" % pid):
    print("harness pid %d still runs" % pid)
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) != os.getpid():
        try:
            cmd = open("/proc/%s/cmdline" % p, "rb").read().split(b"\\0")
        except OSError:
            continue
        if any(b"create_connection" in part for part in cmd) and cmd[-2:-1] == [str(port).encode()]:
            print("relay %s to port %d" % (p, port))
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    local, state = line.split()[1], line.split()[3]
    if state == "0A" and int(local.split(":")[1], 16) == port:
        print("listener on port %d" % port)`;
  const result = await execa("docker", ["exec", CONTAINER, "python3", "-c", probe, String(containerPort), String(pid ?? 0)]);
  return String(result.stdout).split("\n").filter(Boolean);
}

/** Whether 127.0.0.1:port can be listened on (the forward released it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function runDirOf(cwd: string, stdout: unknown): string {
  return path.join(cwd, String(stdout).trim().split("\n").at(-1)!);
}

async function expectCleanedUp(hostPort: number, containerPort: number, pid?: number): Promise<void> {
  expect(await leftInContainer(containerPort, pid), "left in the container").toEqual([]);
  expect(await portFree(hostPort), `host port ${hostPort} released`).toBe(true);
}

/** The tracked process's pid, as memray's client printed it. */
function trackedPid(stdout: unknown): number {
  return Number(/CONNECTED pid (\d+)/.exec(String(stdout))?.[1]);
}

describe.runIf(ready)(`live-remote on ${CONTAINER}: the workload streams to SocketDestination, forwarded to 127.0.0.1`, () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
  });

  it("requests to the app: the CLI prints `memray live PORT`, the workload waits for the client, memray's client sees the leak, nothing is left behind", async () => {
    const cli = execa(
      "node",
      [cliBin, "profile", "--target", CONTAINER, "--mode", "live-remote", "--endpoint", "/leak", "--requests", "30", "--delay", "0.2", "--live-port", "9311"],
      {
        cwd,
        reject: false,
        env: { NO_COLOR: "1" },
      },
    );
    const match = await watchStderr(cli).waitFor(/run `memray live (\d+)` in another terminal; the workload starts once it connects/);
    const port = Number(match[1]);
    const site = `forecast_service/app.py:${leakLine("forecast_service")}`;
    const client = await execa("python3", ["-c", LIVE_CLIENT, String(port), site], { reject: false, timeout: 180_000 });
    expect(client.exitCode, String(client.stderr)).toBe(0);
    expect(String(client.stdout)).toMatch(/CONNECTED pid \d+/);
    expect(String(client.stdout)).toContain(site);
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(runDirOf(cwd, result.stdout), "summary.json"), "utf8")) as Summary;
    expect(summary.mode).toBe("live-remote");
    expect(summary.requests).toHaveLength(30);
    expect(summary.artifacts.session_bin).toBeUndefined(); // streamed, never written
    expect(summary.leak_indicators.source).toBe("rss");
    await expectCleanedUp(port, 9311, trackedPid(client.stdout));
  });

  it("a script, with its live port taken on the host: another port is picked and named, the client reads the stream there", async () => {
    const blocker = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      blocker.once("error", () => resolve(false)); // someone else holds it: taken all the same
      blocker.listen({ host: "127.0.0.1", port: 9312, exclusive: true }, () => resolve(true));
    });
    try {
      const cli = execa(
        "node",
        [cliBin, "profile", "--target", CONTAINER, "--mode", "live-remote", "--script", "test-cases/startup-drop-leak.py", "--live-port", "9312"],
        {
          cwd,
          reject: false,
          env: { NO_COLOR: "1" },
        },
      );
      const stderr = watchStderr(cli);
      const taken = await stderr.waitFor(/live: port 9312 is taken on this host; using (\d+) instead/);
      const match = await stderr.waitFor(/run `memray live (\d+)`/);
      expect(match[1]).toBe(taken[1]);
      const port = Number(match[1]);
      expect(port).not.toBe(9312);
      const line = readFileSync(path.join(repoRoot, "test-cases/startup-drop-leak.py"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("# LEAK-LINE"));
      const site = `startup-drop-leak.py:${line + 1}`;
      const client = await execa("python3", ["-c", LIVE_CLIENT, String(port), site], { reject: false, timeout: 180_000 });
      expect(client.exitCode, String(client.stderr)).toBe(0);
      expect(String(client.stdout)).toContain(site);
      const result = await cli;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const summary = JSON.parse(readFileSync(path.join(runDirOf(cwd, result.stdout), "summary.json"), "utf8")) as Summary;
      expect(summary).toMatchObject({ mode: "live-remote", script: "test-cases/startup-drop-leak.py", exit_code: 0 });
      expect(summary.requests).toHaveLength(15);
      await expectCleanedUp(port, 9312, trackedPid(client.stdout));
    } finally {
      if (held) await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("Ctrl-C while memray still waits for a client: the run ends with a summary, nothing is left behind", async () => {
    const cli = execa(
      "node",
      [cliBin, "profile", "--target", CONTAINER, "--mode", "live-remote", "--endpoint", "/leak", "--requests", "5", "--live-port", "9313"],
      {
        cwd,
        reject: false,
        env: { NO_COLOR: "1" },
      },
    );
    const match = await watchStderr(cli).waitFor(/run `memray live (\d+)`/);
    cli.kill("SIGINT");
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const summary = JSON.parse(readFileSync(path.join(runDirOf(cwd, result.stdout), "summary.json"), "utf8")) as Summary;
    expect(summary.error_code).toBe("INTERRUPTED");
    expect(summary.requests).toHaveLength(0); // the workload never started: memray was waiting for its client
    await expectCleanedUp(Number(match[1]), 9313);
  });

  it('the seed\'s "Live Monitor During Load Test", verbatim: run debug/memray-container -e profile_mode=live-web, `memray live`, requests, Ctrl-C', async () => {
    const cli = execa("node", [cliBin, "run", "debug/memray-container", "-e", `container_target=${CONTAINER}`, "-e", "profile_mode=live-web"], {
      cwd,
      reject: false,
      env: { NO_COLOR: "1" },
    });
    const match = await watchStderr(cli).waitFor(/memray live (\d+)`.*(http:\/\/127\.0\.0\.1:\d+\/)/);
    const [port, service] = [Number(match[1]), match[2]!];
    const site = `forecast_service/app.py:${leakLine("forecast_service")}`;
    const client = await execa("python3", ["-c", LIVE_CLIENT, String(port), site, service], { reject: false, timeout: 180_000 });
    expect(client.exitCode, String(client.stderr)).toBe(0);
    expect(String(client.stdout)).toContain(site);
    cli.kill("SIGINT");
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(runDirOf(cwd, result.stdout), "summary.json"), "utf8")) as Summary;
    expect(summary.mode).toBe("live-web");
    expect(summary.live?.stopped_by).toBe("SIGINT");
    // The recipe uses the default port, which other tests may use at the same time: this run's process and host port.
    expect(await leftInContainer(0, trackedPid(client.stdout))).toEqual([]);
    expect(await portFree(port)).toBe(true);
  });
});
