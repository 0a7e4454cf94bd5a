import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDockerSize, snapshotContainerStats, discoverStackContainers, type ContainerStatsEntry } from "../../src/index.js";
import { BASE_IMAGE, docker, removeQuietly, run, scratchRunDir, sidecarFor, sleep, targetOf, throwaway } from "./signals-helpers.js";

const imageReady = await docker
  .getImage(BASE_IMAGE)
  .inspect()
  .then(
    () => true,
    () => false,
  );
if (!imageReady) console.warn(`skipping container signal tests: no ${BASE_IMAGE} (tools/images/build.sh base)`);

const id = `${process.pid}`;
const PROJECT = `memray-sig-${id}`;
const TARGET = `memray-sig-target-${id}`;
const DOOMED = `memray-sig-doomed-${id}`;
const TTY = `memray-sig-tty-${id}`;
const WINDOW = `memray-sig-window-${id}`;
const HOLDER = `memray-sig-holder-${id}`;
const SPINNER = `memray-sig-spinner-${id}`;
const ALL = [TARGET, DOOMED, TTY, WINDOW, HOLDER, SPINNER];

/** Python in a throwaway container: prints known lines on stdout and stderr, then idles. */
const speaker = (lines: number) => [
  "python3",
  "-u",
  "-c",
  `import sys, time\nfor i in range(${lines}):\n    print('out %d' % i)\n    print('err %d' % i, file=sys.stderr)\ntime.sleep(3600)`,
];

describe.runIf(imageReady)("container logs and stats (real engine, throwaway Compose project)", () => {
  beforeAll(async () => {
    await throwaway(TARGET, speaker(50), { project: PROJECT, service: "target" });
    await throwaway(DOOMED, speaker(5), { project: PROJECT, service: "doomed" });
    await throwaway(TTY, ["python3", "-u", "-c", "print('tty line one'); print('tty line two'); import time; time.sleep(3600)"], {
      project: PROJECT,
      service: "tty",
      tty: true,
    });
    await sleep(1500); // let them print
  });
  afterAll(async () => removeQuietly(...ALL));

  it("discovers exactly the running containers of the target's Compose project", async () => {
    const containers = await discoverStackContainers(docker, await targetOf(TARGET));
    expect(containers.map((c) => c.name)).toEqual([DOOMED, TARGET, TTY].sort());
    expect(containers.find((c) => c.name === TARGET)).toMatchObject({ project: PROJECT, service: "target", number: 1, oneoff: false });
  });

  it("logs: stdout and stderr demultiplexed into logs-<project>-<service>.txt with timestamps; a TTY's raw stream too", async () => {
    const runDir = await scratchRunDir();
    const sidecar = await sidecarFor(TARGET);
    await sidecar.before(runDir);
    const { signals, artifacts } = await sidecar.after(runDir);
    const logs = signals!.container_logs!;
    expect(logs.status).toBe("ok");
    expect(logs.files.sort()).toEqual([`logs-${PROJECT}-doomed.txt`, `logs-${PROJECT}-target.txt`, `logs-${PROJECT}-tty.txt`]);
    const text = await readFile(path.join(runDir.path, `logs-${PROJECT}-target.txt`), "utf8");
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(100);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z (out|err) \d+$/);
    const words = lines.map((line) => line.split(" ").slice(1).join(" "));
    expect(words.filter((w) => w.startsWith("out")).map((w) => Number(w.split(" ")[1]))).toEqual([...Array(50).keys()]);
    expect(words.filter((w) => w.startsWith("err")).map((w) => Number(w.split(" ")[1]))).toEqual([...Array(50).keys()]);
    const entry = logs.containers![TARGET]!;
    expect(entry).toMatchObject({ status: "ok", service: "target", project: PROJECT, file: `logs-${PROJECT}-target.txt`, bytes: Buffer.byteLength(text) });
    expect(entry.stdout_bytes! + entry.stderr_bytes!).toBe(entry.bytes);
    expect(entry.stderr_bytes).toBe(lines.filter((line) => / err /.test(line)).reduce((sum, line) => sum + line.length + 1, 0));
    const tty = await readFile(path.join(runDir.path, `logs-${PROJECT}-tty.txt`), "utf8");
    expect(tty).toMatch(/^\S+Z tty line one\r?\n\S+Z tty line two\r?\n$/);
    expect(artifacts[`logs_${PROJECT.replace(/-/g, "_")}_target`]).toBe(`${runDir.artifactPrefix}/logs-${PROJECT}-target.txt`);
  });

  it("--logs-since: only the lines of the window", async () => {
    const window = await throwaway(WINDOW, ["python3", "-u", "-c", "import time\nprint('early')\ntime.sleep(8)\nprint('late')\ntime.sleep(3600)"]);
    for (let i = 0; i < 60 && !String(await window.logs({ stdout: true, stderr: true, follow: false })).includes("late"); i++) await sleep(250);
    const runDir = await scratchRunDir();
    // "late" was just printed, "early" 8 s before it: a 5 s window (counted at collection time, ~2 s later) holds only "late".
    const sidecar = await sidecarFor(WINDOW, { logsSince: "5s" });
    await sidecar.before(runDir);
    const { signals } = await sidecar.after(runDir);
    // No Compose project: every running container, named logs-<container>.txt.
    const file = signals!.container_logs!.containers![WINDOW]!.file!;
    expect(file).toBe(`logs-${WINDOW}.txt`);
    expect((await readFile(path.join(runDir.path, file), "utf8")).trim()).toMatch(/^\S+Z late$/);
    expect(Date.now() - Date.parse(signals!.container_logs!.since!)).toBeGreaterThanOrEqual(5000);
    await removeQuietly(WINDOW);
  });

  it("a project container removed during the run: its logs and stats marked failed, the others fine", async () => {
    const runDir = await scratchRunDir();
    const sidecar = await sidecarFor(TARGET);
    await sidecar.before(runDir);
    await docker.getContainer(DOOMED).remove({ force: true });
    const { signals } = await sidecar.after(runDir);
    const logs = signals!.container_logs!;
    expect(logs.status).toBe("failed");
    expect(logs.containers![DOOMED]).toMatchObject({ status: "failed", file: null, error: `${DOOMED}: no such container (removed during the run?)` });
    expect(logs.containers![TARGET]).toMatchObject({ status: "ok" });
    expect(logs.containers![TTY]).toMatchObject({ status: "ok" });
    expect(logs.error).toBe(`1 of 3 containers failed: ${DOOMED}: no such container (removed during the run?)`);
    expect(logs.files).not.toContain(`logs-${PROJECT}-doomed.txt`);

    const stats = signals!.container_stats!;
    expect(stats.status).toBe("failed");
    expect(stats.containers![DOOMED]!.status).toBe("failed");
    expect(stats.containers![DOOMED]!.memory_before).toBeGreaterThan(0);
    expect(stats.containers![DOOMED]!.memory_after).toBeNull();
    expect(stats.containers![DOOMED]!.error).toMatch(/^after: .*no such container/);
    expect(stats.containers![TARGET]).toMatchObject({ status: "ok", error: null });
    expect(stats.containers![TARGET]!.memory_after).toBeGreaterThan(1024 * 1024);
    const after = JSON.parse(await readFile(path.join(runDir.path, "container-stats-after.json"), "utf8"));
    expect(after.containers[DOOMED]).toMatchObject({ status: "failed" });
    expect(after.containers[TARGET]).toMatchObject({ status: "ok", project: PROJECT, service: "target" });
    expect(Object.keys(JSON.parse(await readFile(path.join(runDir.path, "container-stats-before.json"), "utf8")).containers).sort()).toEqual(
      [DOOMED, TARGET, TTY].sort(),
    );
  });

  it("memory figures agree with `docker stats --no-stream --format json` for the same container", async () => {
    // A container holding 64 MiB that it touched, so its memory is steady between the two readings.
    await throwaway(HOLDER, [
      "python3",
      "-c",
      "import time\nblock = bytearray(64 * 1024 * 1024)\nfor i in range(0, len(block), 4096): block[i] = 1\ntime.sleep(3600)",
    ]);
    await sleep(1500);
    const [container] = await discoverStackContainers(docker, await targetOf(HOLDER)).then((all) => all.filter((c) => c.name === HOLDER));
    const [ours, cli] = await Promise.all([
      snapshotContainerStats(docker, [container!], "after"),
      run("docker", ["stats", "--no-stream", "--format", "json", HOLDER]),
    ]);
    const entry = ours.snapshot.containers[HOLDER] as Extract<ContainerStatsEntry, { status: "ok" }>;
    expect(entry.status).toBe("ok");
    const theirs = JSON.parse(cli.stdout.trim()) as { MemUsage: string; MemPerc: string; PIDs: string; Name: string };
    const [usageText, limitText] = theirs.MemUsage.split(" / ");
    const usage = parseDockerSize(usageText!);
    const limit = parseDockerSize(limitText!);
    // Two readings of the same cgroup taken up to ~1 s apart, the CLI's rounded to 4 significant digits:
    // an idle process holding a touched block moves by well under 1 MiB; allow 1 MiB or 1 %.
    expect(entry.memory_usage).toBeGreaterThan(64 * 1024 * 1024);
    expect(Math.abs(entry.memory_usage - usage)).toBeLessThanOrEqual(Math.max(1024 * 1024, usage * 0.01));
    expect(Math.abs(entry.memory_limit - limit) / limit).toBeLessThan(0.001); // 4 significant digits
    expect(Math.abs(entry.memory_percent - Number.parseFloat(theirs.MemPerc))).toBeLessThan(0.02);
    expect(entry.docker.PIDs).toBe(theirs.PIDs);
    console.info(
      `docker stats comparison for ${HOLDER}: ours ${entry.docker.MemUsage} (${entry.memory_usage} B), docker CLI ${theirs.MemUsage}, difference ${entry.memory_usage - usage} B`,
    );
  });
  it("CPU % between two one-shot readings: a container spinning on one core near 100 %, an idle one near 0; none before: unknown", async () => {
    await throwaway(SPINNER, ["python3", "-c", "while True: pass"], { project: PROJECT, service: "spinner" });
    const containers = (await discoverStackContainers(docker, await targetOf(SPINNER))).filter((c) => c.name === SPINNER || c.name === TARGET);
    const first = await snapshotContainerStats(docker, containers, "before");
    expect(first.snapshot.containers[SPINNER]).toMatchObject({ status: "ok", cpu_percent: null, cpu_since: null, docker: { CPUPerc: "--" } });
    await sleep(1500);
    const second = await snapshotContainerStats(docker, containers, "after", { since: first.cpu });
    const spinner = second.snapshot.containers[SPINNER] as Extract<ContainerStatsEntry, { status: "ok" }>;
    const idle = second.snapshot.containers[TARGET] as Extract<ContainerStatsEntry, { status: "ok" }>;
    expect(spinner.cpu_since).toBe((first.snapshot.containers[SPINNER] as Extract<ContainerStatsEntry, { status: "ok" }>).read);
    expect(Date.parse(spinner.read) - Date.parse(spinner.cpu_since!)).toBeGreaterThanOrEqual(1400);
    // One busy core is 100 %; a loaded CI machine may give it less, never none.
    expect(spinner.cpu_percent).toBeGreaterThan(25);
    expect(spinner.cpu_percent).toBeLessThan(120);
    expect(idle.cpu_percent).toBeLessThan(5);
    expect(spinner.docker.CPUPerc).toBe(`${spinner.cpu_percent!.toFixed(2)}%`);
    console.info(
      `one-shot CPU %: spinner ${spinner.docker.CPUPerc}, idle ${idle.docker.CPUPerc} over ${Date.parse(spinner.read) - Date.parse(spinner.cpu_since!)} ms`,
    );
  });
});
