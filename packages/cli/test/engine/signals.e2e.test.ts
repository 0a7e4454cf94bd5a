import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarySchema, type Summary } from "@alpiq/memray-core";
import { cliBin, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray, profile, readRunFile } from "./engine-env.js";

const FORECAST = "local-forecast-1";
const WIREMOCK = "local-wiremock-1";
const SEED_SIGNAL_FILES = ["wiremock-requests.json", "wiremock-unmatched.json", "container-stats-before.json", "container-stats-after.json"];
const STACK_LOGS = ["logs-local-forecast.txt", "logs-local-optimization.txt", "logs-local-forecast-trixie.txt", "logs-local-wiremock.txt"];
const REPORTS = ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt", "session.bin"];
const marker = `e2e${process.pid}x${Date.now()}`;
const ready = await engineReady([FORECAST, WIREMOCK]);
const docker = (...args: string[]) => execa("docker", args);

/** The forecast fixture's /upstream?path= (it calls http://wiremock:8080 + path from inside the stack). */
const upstream = (upstreamPath: string) => `/upstream?path=${encodeURIComponent(upstreamPath)}`;
/** wiremock-requests.json holds journal entries ({ request: {url} }), wiremock-unmatched.json the requests themselves ({ url }). */
interface Journal {
  requests: Array<{ request?: { url: string }; url?: string }>;
}
const journalUrls = async (dir: string, file: string) =>
  (JSON.parse(await readRunFile(dir, file)) as Journal).requests.map((entry) => entry.request?.url ?? entry.url ?? "");

/** A loopback port nothing listens on. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForWireMock(): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const ok = await fetch("http://127.0.0.1:8089/__admin/health").then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("local-wiremock-1 did not come back on 127.0.0.1:8089");
}

describe("signal flags: bad input is refused at the edge (exit 2, names the flag)", () => {
  const cwd = os.tmpdir();
  it("--wiremock that is not a URL", async () => {
    const run = await runCli(["profile", "--target", FORECAST, "--mode", "endpoint", "--wiremock", "not a url"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--wiremock expects an http:\/\/ or https:\/\/ URL such as http:\/\/127\.0\.0\.1:8089, received "not a url"/);
    const recipe = await runCli(["run", "debug/memray-container", "-e", `container_target=${FORECAST}`, "-e", "wiremock_url=ftp://x"], cwd);
    expect(recipe.exitCode).toBe(2);
    expect(recipe.stderr).toMatch(/-e wiremock_url expects an http:\/\/ or https:\/\/ URL/);
  });

  it("--logs-since and --signals-timeout", async () => {
    const since = await runCli(["profile", "--target", FORECAST, "--mode", "snapshot", "--logs-since", "five minutes"], cwd);
    expect(since.exitCode).toBe(2);
    expect(since.stderr).toMatch(/--logs-since expects a duration such as 5m/);
    const timeout = await runCli(["profile", "--target", FORECAST, "--mode", "snapshot", "--signals-timeout", "0"], cwd);
    expect(timeout.exitCode).toBe(2);
    expect(timeout.stderr).toMatch(/--signals-timeout expects a number of seconds from 0\.1 to 600, received "0"/);
  });
});

describe.runIf(ready)(`signals around container runs on ${FORECAST} (real WireMock, real containers)`, () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(FORECAST, cwd);
  });

  it("the seed's recipe form writes the seed's signal files next to the reports; the journal holds the run's call only", async () => {
    const before = await fetch(`http://127.0.0.1:5000${upstream(`/api/weather?probe=before-${marker}`)}`);
    expect(before.status).toBe(200);
    const run = await runCli(
      [
        "run",
        "debug/memray-container",
        "-e",
        `container_target=${FORECAST}`,
        "-e",
        "profile_mode=endpoint",
        "-e",
        `endpoint_path=${upstream(`/api/weather?probe=during-${marker}`)}`,
        "--json",
      ],
      cwd,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const { run_dir, summary } = JSON.parse(run.stdout) as { run_dir: string; summary: Summary };
    const dir = path.join(cwd, run_dir);
    expect(summarySchema.safeParse(summary).success).toBe(true);
    for (const file of [...SEED_SIGNAL_FILES, ...STACK_LOGS, ...REPORTS]) expect(existsSync(path.join(dir, file)), file).toBe(true);

    const signals = summary.signals!;
    expect(signals.wiremock).toMatchObject({ status: "ok", source: "discovered", container: WIREMOCK, url: "http://127.0.0.1:8089", error: null });
    expect(signals.container_logs).toMatchObject({ status: "ok", error: null });
    expect(signals.container_logs!.files).toEqual(expect.arrayContaining(STACK_LOGS));
    expect(signals.container_stats).toMatchObject({ status: "ok", files: ["container-stats-before.json", "container-stats-after.json"] });
    expect(summary.artifacts).toMatchObject({
      wiremock_requests: `${run_dir}/wiremock-requests.json`,
      logs_local_forecast: `${run_dir}/logs-local-forecast.txt`,
      container_stats_after: `${run_dir}/container-stats-after.json`,
    });

    const urls = (await journalUrls(dir, "wiremock-requests.json")).filter((url) => url.includes(marker));
    expect(urls).toEqual([`/api/weather?probe=during-${marker}`]);

    const statsBefore = JSON.parse(await readRunFile(dir, "container-stats-before.json"));
    const statsAfter = JSON.parse(await readRunFile(dir, "container-stats-after.json"));
    for (const stats of [statsBefore, statsAfter]) {
      expect(Object.keys(stats.containers)).toEqual(expect.arrayContaining([FORECAST, WIREMOCK, "local-optimization-1"]));
      expect(stats.containers[FORECAST]).toMatchObject({ status: "ok", service: "forecast", project: "local" });
      expect(stats.containers[FORECAST].memory_usage).toBeGreaterThan(10 * 1024 * 1024);
      expect(stats.containers[FORECAST].docker.MemUsage).toMatch(/^[\d.]+[KMG]iB \/ [\d.]+[KMG]iB$/);
    }
    // The harness ran inside local-forecast-1 (polars, pyarrow, memray): its memory grew between the readings.
    expect(statsAfter.containers[FORECAST].memory_usage).toBeGreaterThan(statsBefore.containers[FORECAST].memory_usage);

    const index = await readRunFile(dir, "index.html");
    expect(index).toContain("<h3>WireMock calls during the run</h3>");
    expect(index).toMatch(new RegExp(`<td>GET</td><td><code>/api/weather\\?probe=during-${marker}</code></td><td class="n ">200</td>`));
    expect(index).toContain("<h3>Container memory (docker stats) before → after</h3>");
    expect(index).toMatch(new RegExp(`<tr><td>${FORECAST}</td><td>forecast</td><td class="n">[\\d.]+ MiB</td><td class="n">[\\d.]+ MiB</td><td class="n">\\+`));
    for (const file of STACK_LOGS) expect(index).toContain(`<a href="${file}">${file}</a>`);
    expect(run.stderr).toMatch(/signals: wiremock ok \(\d+ requests, \d+ unmatched\) · logs ok \(\d+ files\) · stats ok \(\d+ containers\)/);
  });

  it("the unstubbed upstream call lands in wiremock-unmatched.json", async () => {
    const run = await profile(["--target", FORECAST, "--mode", "endpoint", "--endpoint", upstream(`/api/unstubbed-${marker}`)], cwd);
    expect(run.summary.requests[0]?.status).toBe(404);
    expect(run.summary.signals!.wiremock).toMatchObject({ status: "ok" });
    expect(run.summary.signals!.wiremock!.unmatched).toBeGreaterThanOrEqual(1);
    expect((await journalUrls(run.dir, "wiremock-unmatched.json")).filter((url) => url.includes(marker))).toEqual([`/api/unstubbed-${marker}`]);
    expect((await journalUrls(run.dir, "wiremock-requests.json")).filter((url) => url.includes(marker))).toEqual([`/api/unstubbed-${marker}`]);
  });

  it("a --wiremock URL that refuses connections: the run completes, wiremock failed with the reason", async () => {
    const port = await freePort();
    const run = await profile(["--target", FORECAST, "--mode", "endpoint", "--endpoint", "/health", "--wiremock", `http://127.0.0.1:${port}`], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.error).toBeNull();
    expect(run.summary.signals!.wiremock).toMatchObject({ status: "failed", source: "option", files: [] });
    expect(run.summary.signals!.wiremock!.error).toMatch(
      new RegExp(`^reset: WireMock at http://127\\.0\\.0\\.1:${port} refused the connection \\(ECONNREFUSED\\)`),
    );
    expect(run.summary.signals!.container_stats!.status).toBe("ok");
    for (const file of REPORTS) expect(existsSync(path.join(run.dir, file)), file).toBe(true);
    expect(existsSync(path.join(run.dir, "wiremock-requests.json"))).toBe(false);
    expect(run.stderr).toContain(`signals: wiremock failed (reset: WireMock at http://127.0.0.1:${port} refused`);
  });

  describe("WireMock stopped between reset and dump", () => {
    afterAll(async () => {
      await docker("start", WIREMOCK).catch(() => undefined); // restore the shared fixture
      await waitForWireMock();
    });

    it("the run completes with every memray artifact; the failure is recorded", async () => {
      const dir = path.join(cwd, "waits");
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "waits.py"), "import time\nprint('READY', flush=True)\ntime.sleep(4)\nblock = bytearray(1 << 20)\nprint('DONE')\n");
      const child = execa(process.execPath, [cliBin, "profile", "--target", FORECAST, "--mode", "script", "--script", "waits/waits.py", "--json"], {
        cwd,
        reject: false,
        env: { NO_COLOR: "1" },
      });
      let stopped: Promise<unknown> | undefined;
      child.stderr!.on("data", (chunk: Buffer) => {
        if (!stopped && chunk.toString().includes("READY")) stopped = docker("stop", "-t", "1", WIREMOCK);
      });
      const result = await child;
      expect(stopped, "the workload never printed READY").toBeDefined();
      await stopped;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const { run_dir, summary } = JSON.parse(String(result.stdout)) as { run_dir: string; summary: Summary };
      expect(summary.error).toBeNull();
      expect(summary.signals!.wiremock!.status).toBe("failed");
      expect(summary.signals!.wiremock!.error).toMatch(/^dump: WireMock at http:\/\/127\.0\.0\.1:8089 (refused the connection|did not answer)/);
      expect(summary.signals!.container_logs!.containers![FORECAST]).toMatchObject({ status: "ok" });
      for (const file of REPORTS) expect(existsSync(path.join(cwd, run_dir, file)), file).toBe(true);
      expect(JSON.parse(await readFile(path.join(cwd, run_dir, "summary.json"), "utf8")).signals.wiremock.status).toBe("failed");
    });
  });

  it("--no-signals: no signal files, no signals section", async () => {
    const run = await profile(["--target", FORECAST, "--mode", "endpoint", "--endpoint", "/health", "--no-signals"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.signals).toBeUndefined();
    for (const file of [...SEED_SIGNAL_FILES, ...STACK_LOGS]) expect(existsSync(path.join(run.dir, file)), file).toBe(false);
    expect(run.stderr).not.toMatch(/signals:/);
  });

  it("--local with --wiremock: the journal is collected, the container signals skipped with their reason", async () => {
    const dir = path.join(cwd, "localwm");
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, "calls.py"),
      `import urllib.request\nprint(urllib.request.urlopen("http://127.0.0.1:8089/api/prices?probe=local-${marker}", timeout=5).status)\n`,
    );
    const run = await profile(["--local", "--script", "localwm/calls.py", "--wiremock", "http://127.0.0.1:8089"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.summary.signals!.wiremock).toMatchObject({ status: "ok", source: "option" });
    expect((await journalUrls(run.dir, "wiremock-requests.json")).filter((url) => url.includes(marker))).toEqual([`/api/prices?probe=local-${marker}`]);
    expect(run.summary.signals!.container_logs).toMatchObject({ status: "skipped", reason: "run on this host: no containers" });
    expect(run.summary.signals!.container_stats).toMatchObject({ status: "skipped", reason: "run on this host: no containers" });
  });
});

describe.runIf(ready)("signals in throwaway Compose projects (never the shared fixtures)", () => {
  const id = `${process.pid}`;
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-signals-"));
    await mkdir(path.join(cwd, "work"));
    await writeFile(path.join(cwd, "work", "quiet.py"), "print('quiet')\n");
  });

  describe("a container with 100 MB of logs", () => {
    const PROJECT = `memray-biglogs-${id}`;
    const LOUD = `memray-biglogs-loud-${id}`;
    const LINES = 100_000;
    afterAll(async () => {
      await execa("docker", ["rm", "-f", LOUD], { reject: false });
    });

    it("the logs are streamed to the file whole while the CLI's peak RSS stays under 200 MB", async () => {
      // 100 000 lines of 1 KiB: 100 MiB of stdout, then the container idles.
      const program = `import sys\nline = 'x' * 1010\nfor i in range(${LINES}):\n    sys.stdout.write('%08d %s\\n' % (i, line))\nsys.stdout.write('END-OF-LOGS\\n')\nsys.stdout.flush()\nimport time\ntime.sleep(3600)`;
      await docker(
        "run",
        "-d",
        "--name",
        LOUD,
        "--network",
        "none",
        "--label",
        `com.docker.compose.project=${PROJECT}`,
        "--label",
        "com.docker.compose.service=loud",
        "--label",
        "com.docker.compose.container-number=1",
        "--label",
        "com.docker.compose.oneoff=False",
        "memray-cli/base:bookworm",
        "python3",
        "-c",
        program,
      );
      for (let i = 0; i < 240; i++) {
        const tail = await docker("logs", "--tail", "1", LOUD);
        if (String(tail.stdout).includes("END-OF-LOGS")) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const probe = path.join(cwd, "rss-probe.mjs");
      const rssFile = path.join(cwd, "max-rss-kb.txt");
      await writeFile(
        probe,
        `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
      );
      const result = await execa(
        process.execPath,
        [
          "--import",
          probe,
          cliBin,
          "profile",
          "--target",
          LOUD,
          "--mode",
          "script",
          "--script",
          "work/quiet.py",
          "--allow-no-memray",
          "--signals-timeout",
          "120",
          "--json",
        ],
        { cwd, reject: false, env: { NO_COLOR: "1" } },
      );
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const { run_dir, summary } = JSON.parse(String(result.stdout)) as { run_dir: string; summary: Summary };
      const file = path.join(cwd, run_dir, `logs-${PROJECT}-loud.txt`);
      const entry = summary.signals!.container_logs!.containers![LOUD]!;
      expect(entry).toMatchObject({ status: "ok", file: `logs-${PROJECT}-loud.txt` });
      expect(statSync(file).size).toBe(entry.bytes);
      expect(entry.bytes).toBeGreaterThan(100 * 1024 * 1024);
      // Complete: every line, in order, each with its timestamp (checked by streaming the file, not loading it).
      const { createReadStream } = await import("node:fs");
      const { createInterface } = await import("node:readline");
      let count = 0;
      let last = "";
      for await (const line of createInterface({ input: createReadStream(file) })) {
        if (count < LINES) expect(line.slice(31, 39), `line ${count}`).toBe(String(count).padStart(8, "0"));
        last = line;
        count++;
      }
      expect(count).toBe(LINES + 1);
      expect(last).toMatch(/^\S+Z END-OF-LOGS$/);
      const maxRssMb = Number(await readFile(rssFile, "utf8")) / 1024;
      console.info(
        `100 MB logs: ${entry.bytes} bytes written in ${summary.signals!.container_logs!.duration_seconds} s; CLI peak RSS ${maxRssMb.toFixed(0)} MB`,
      );
      expect(maxRssMb).toBeLessThan(200);
    });
  });

  describe("a WireMock that publishes no port is reached through the exec port forward", () => {
    const PROJECT = `memray-fwd-${id}`;
    const NETWORK = `${PROJECT}_default`;
    const MOCK = `${PROJECT}-wiremock-1`;
    const APP = `${PROJECT}-app-1`;
    const labels = (service: string) => [
      "--label",
      `com.docker.compose.project=${PROJECT}`,
      "--label",
      `com.docker.compose.service=${service}`,
      "--label",
      "com.docker.compose.container-number=1",
    ];
    afterAll(async () => {
      await execa("docker", ["rm", "-f", MOCK, APP], { reject: false });
      await execa("docker", ["network", "rm", NETWORK], { reject: false });
    });

    it("discovered in the target's project, forwarded to 127.0.0.1, journal collected", async () => {
      await docker("network", "create", "--label", `com.docker.compose.project=${PROJECT}`, NETWORK);
      await docker("run", "-d", "--name", MOCK, "--network", NETWORK, "--network-alias", "wiremock", ...labels("wiremock"), "memray-cli/wiremock:bookworm");
      await docker("run", "-d", "--name", APP, "--network", NETWORK, ...labels("app"), "memray-cli/base:bookworm", "sleep", "infinity");
      const health = "import urllib.request; urllib.request.urlopen('http://wiremock:8080/__admin/health', timeout=2)";
      for (let i = 0; i < 120; i++) {
        if ((await execa("docker", ["exec", APP, "python3", "-c", health], { reject: false })).exitCode === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await writeFile(
        path.join(cwd, "work", "calls.py"),
        `import urllib.request\nprint(urllib.request.urlopen("http://wiremock:8080/api/weather?probe=fwd-${id}", timeout=5).status)\n`,
      );
      const run = await profile(["--target", APP, "--mode", "script", "--script", "work/calls.py", "--allow-no-memray"], cwd);
      expect(run.exitCode, run.stderr).toBe(0);
      const wiremock = run.summary.signals!.wiremock!;
      expect(wiremock).toMatchObject({ status: "ok", source: "discovered", container: MOCK, requests: 1, unmatched: 0 });
      expect(wiremock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await journalUrls(run.dir, "wiremock-requests.json")).toEqual([`/api/weather?probe=fwd-${id}`]);
      expect(run.summary.signals!.container_logs!.files.sort()).toEqual([`logs-${PROJECT}-app.txt`, `logs-${PROJECT}-wiremock.txt`]);
    });
  });
});
