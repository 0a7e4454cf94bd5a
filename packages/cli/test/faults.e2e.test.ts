import { execa, type ResultPromise } from "execa";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { summarySchema, type Summary } from "@alpiq/memray-core";
import { cliBin, runCli } from "./cli-runner.js";

/**
 * Faults through the real CLI on this host: signals sent to real processes, abrupt ends, odd values,
 * a full disk. In every case what was measured is in the run directory afterwards.
 */

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-fault-"));
  await mkdir(path.join(dir, "tmp"));
  return dir;
}

async function summaryOf(cwd: string, runDir: string): Promise<Summary> {
  return summarySchema.parse(JSON.parse(await readFile(path.join(cwd, runDir, "summary.json"), "utf8")));
}

const SLOW = `import time
blob = bytearray(8 * 1024 * 1024)
print("READY", flush=True)
for _ in range(600):
    time.sleep(0.1)
`;

/** The CLI as a child process with its own TMPDIR (so leftovers can be counted). */
function spawnCli(args: string[], cwd: string): ResultPromise {
  return execa(process.execPath, [cliBin, ...args], { cwd, reject: false, env: { NO_COLOR: "1", TMPDIR: path.join(cwd, "tmp") } });
}

async function untilOutput(child: ResultPromise, needle: string, timeoutMs = 60_000): Promise<void> {
  let seen = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${needle}" within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(needle)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const lastLine = (stdout: unknown) => String(stdout).trim().split("\n").at(-1) ?? "";

/** The processes below `root` (read from /proc), with their command lines: never any other process of the machine. */
async function descendants(root: number): Promise<{ pid: number; cmdline: string }[]> {
  const table = new Map<number, { ppid: number; cmdline: string }>();
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = (await readFile(`/proc/${name}/cmdline`, "utf8")).replace(/\0/g, " ");
      table.set(Number(name), { ppid, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; cmdline: string }[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const [pid, entry] of table) {
      if (entry.ppid === parent) {
        found.push({ pid, cmdline: entry.cmdline });
        frontier.push(pid);
      }
    }
  }
  return found;
}

describe("interrupts: the first signal keeps everything measured", () => {
  it.each([
    ["SIGINT", 130, "INTERRUPTED"],
    ["SIGTERM", 143, "TERMINATED"],
  ] as const)("%s to the CLI stops the workload, makes the reports, writes the summary, exits %d, leaves no temp files", async (signal, code, errorCode) => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "slow.py"), SLOW);
    const child = spawnCli(["profile", "--script", "slow.py"], cwd);
    await untilOutput(child, "READY");
    child.kill(signal);
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(code);
    const runDir = lastLine(result.stdout);
    const summary = await summaryOf(cwd, runDir);
    expect(summary.error_code).toBe(errorCode);
    expect(summary.memory.tracemalloc_peak).toBeGreaterThan(8 * 1024 * 1024);
    expect(await readFile(path.join(cwd, runDir, "table.txt"), "utf8")).toMatch(/slow\.py:2/);
    expect(existsSync(path.join(cwd, runDir, "flamegraph.html"))).toBe(true);
    expect(await readdir(path.join(cwd, "tmp"))).toEqual([]);
  });

  it("one Ctrl-C once the reports are being made stops nothing: all six reports and the tracemalloc figures are kept", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "many.py"), "blobs = []\nfor i in range(200000):\n    blobs.append(str(i) * 4)\n");
    const child = spawnCli(["profile", "--script", "many.py"], cwd);
    await untilOutput(child, "generating");
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const runDir = lastLine(result.stdout);
    const summary = await summaryOf(cwd, runDir);
    expect(summary.error).toMatch(/after the workload ended; every report was made/);
    for (const file of ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt"]) {
      expect(existsSync(path.join(cwd, runDir, file)), file).toBe(true);
    }
    expect(summary.memory.tracemalloc_peak).toBeGreaterThan(0);
    expect(summary.warnings?.join("\n") ?? "").not.toMatch(/abandoned/);
  });

  it.each([
    ["SIGINT", 130, "INTERRUPTED"],
    ["SIGTERM", 143, "TERMINATED"],
  ] as const)(
    "%s while the CLI waits on a --python that never answers: stops at once, exits %d, summary written, the hung process killed",
    async (signal, code, errorCode) => {
      const cwd = await scratch();
      const hang = path.join(cwd, "hang.sh");
      await writeFile(hang, "#!/bin/sh\nsleep 600\n");
      await chmod(hang, 0o755);
      await writeFile(path.join(cwd, "ok.py"), "x = 1\n");
      const child = spawnCli(["profile", "--script", "ok.py", "--python", hang], cwd);
      await untilOutput(child, "checking Python");
      let sleeper: number | undefined;
      for (let tries = 0; sleeper === undefined && tries < 100; tries++) {
        sleeper = (await descendants(child.pid!)).find((p) => p.cmdline.startsWith("sleep 600"))?.pid;
        if (sleeper === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(sleeper).toBeDefined();
      const sent = Date.now();
      child.kill(signal);
      const result = await child;
      expect(Date.now() - sent).toBeLessThan(10_000);
      expect(result.exitCode, String(result.stderr)).toBe(code);
      expect((await summaryOf(cwd, lastLine(result.stdout))).error_code).toBe(errorCode);
      const state = await readFile(`/proc/${sleeper}/stat`, "utf8").catch(() => "gone");
      expect(state === "gone" || /\) Z /.test(state), state).toBe(true);
    },
  );

  it("a second Ctrl-C abandons the reports; the summary is still written", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "slow.py"), SLOW);
    const child = spawnCli(["profile", "--script", "slow.py"], cwd);
    await untilOutput(child, "READY");
    child.kill("SIGINT");
    await untilOutput(child, "generating");
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    const summary = await summaryOf(cwd, lastLine(result.stdout));
    expect(summary.warnings?.join("\n")).toMatch(/abandoned after SIGINT/);
    expect(summary.memory.rss_after).not.toBeNull();
  });
});

describe("abrupt ends and odd workloads", () => {
  it("os._exit(7) in the workload: the reports are made from session.bin, exit_code 7 recorded, exit 1", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "bail.py"), "import os\nblob = bytearray(6 * 1024 * 1024)\nos._exit(7)\n");
    const run = await runCli(["profile", "--script", "bail.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(1);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary).toMatchObject({ exit_code: 7, error_code: "WORKLOAD_FAILED", profiling: { memray_enabled: true } });
    expect(summary.error).toMatch(/exit code 7/);
    expect(await readFile(path.join(cwd, run.lastLine, "table.txt"), "utf8")).toMatch(/bail\.py:2/);
  });

  it.each([0, 1, 3])(
    "os._exit(%d), an exit code the CLI itself uses: recovered from session.bin all the same (the harness's end event tells, not the code)",
    async (code) => {
      const cwd = await scratch();
      await writeFile(path.join(cwd, "bail.py"), `import os\nblob = [bytearray(1000) for _ in range(4000)]\nos._exit(${code})\n`);
      const run = await runCli(["profile", "--script", "bail.py"], cwd);
      const summary = await summaryOf(cwd, run.lastLine);
      expect(await readFile(path.join(cwd, run.lastLine, "table.txt"), "utf8")).toMatch(/bail\.py:2/);
      expect(summary.memray_stats?.peak_memory).toBeGreaterThan(4_000_000);
      expect(summary.exit_code).toBe(code);
      if (code === 0) {
        expect(run.exitCode, run.stderr).toBe(0);
        expect(summary.error).toBeNull();
        expect(summary.warnings?.join("\n")).toMatch(/os\._exit\(0\)/);
      } else {
        expect(run.exitCode, run.stderr).toBe(1);
        expect(summary).toMatchObject({ error_code: "WORKLOAD_FAILED" });
        expect(summary.error).toMatch(new RegExp(`exit code ${code}\\b`));
      }
    },
  );

  it("a workload that closes its stdout and stderr neither stalls the run nor warns about signals a local run has none of", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "closer.py"), "import os\nblob = bytearray(1 << 20)\nos.close(1)\nos.close(2)\n");
    const started = Date.now();
    const run = await runCli(["profile", "--script", "closer.py"], cwd);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.warnings ?? []).toEqual([]);
  });

  it("--timeout is enforced although the script installs its own SIGALRM handler; the summary says it fired", async () => {
    const cwd = await scratch();
    await writeFile(
      path.join(cwd, "alarm.py"),
      "import signal, time\nsignal.signal(signal.SIGALRM, lambda *a: print('alarm swallowed'))\nblob = bytearray(1 << 20)\nfor _ in range(260):\n    time.sleep(0.1)\n",
    );
    const started = Date.now();
    const run = await runCli(["profile", "--script", "alarm.py", "--timeout", "2"], cwd);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.exitCode, run.stderr).toBe(1);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.error_code).toBe("WORKLOAD_TIMEOUT");
    expect(summary.error).toMatch(/timeout_seconds=2 \(--timeout\)/);
    expect(await readFile(path.join(cwd, run.lastLine, "table.txt"), "utf8")).toMatch(/alarm\.py:3/);
  });

  it("a workload that kills its own process with SIGKILL: recovered, and not called out of memory", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "suicide.py"), "import os, signal\nblob = bytearray(4 * 1024 * 1024)\nos.kill(os.getpid(), signal.SIGKILL)\n");
    const run = await runCli(["profile", "--script", "suicide.py"], cwd);
    expect(run.exitCode).toBe(1);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.error).toMatch(/signal 9 \(SIGKILL\)/);
    expect(summary.error).not.toMatch(/OOM|out of memory/i);
    expect(summary.exit_code).toBe(137);
  });

  it("a background process left by the script does not hold the CLI, and is reported", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "spawns.py"), "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n");
    const started = Date.now();
    const run = await runCli(["profile", "--script", "spawns.py"], cwd);
    expect(Date.now() - started).toBeLessThan(90_000);
    expect(run.exitCode).toBe(0);
    expect((await summaryOf(cwd, run.lastLine)).warnings?.join("\n")).toMatch(/left 1 process\(es\) running/);
  });

  it("NaN, Infinity and 10**400 in the requests file: a valid summary with nulls and a warning, exit 0", async () => {
    const cwd = await scratch();
    await writeFile(
      path.join(cwd, "odd.py"),
      "import json, os\nwith open(os.environ['MEMRAY_RUN_REQUESTS_FILE'], 'w') as f:\n" +
        "    json.dump([{'request_num': 1, 'status': 200, 'duration_s': float('nan'), 'rss_before': 1, 'rss_after': float('inf')}," +
        " {'request_num': 2, 'status': 200, 'rss_before': 10**400, 'rss_after': 3, 'duration_s': 0.1}], f)\n",
    );
    const run = await runCli(["profile", "--script", "odd.py"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.requests[0]).toMatchObject({ duration_s: null, rss_after: null });
    expect(summary.requests[1]).toMatchObject({ rss_before: null, rss_after: 3 });
    expect(summary.warnings?.join("\n")).toMatch(/not finite JSON numbers/);
    expect(existsSync(path.join(cwd, run.lastLine, "summary.harness.json"))).toBe(false);
  });

  it("a requests file of a million entries is skipped quickly with a warning", async () => {
    const cwd = await scratch();
    // Made outside the capture (building a million dicts under memray is slow in itself); the script hands it over.
    await execa(
      "python3",
      [
        "-c",
        "import json; json.dump([{'request_num': i, 'status': 200, 'rss_before': i, 'rss_after': i + 1, 'duration_s': 0.001} for i in range(1000000)], open('big.json', 'w'))",
      ],
      { cwd },
    );
    await writeFile(path.join(cwd, "many.py"), "import os, shutil\nshutil.copy('big.json', os.environ['MEMRAY_RUN_REQUESTS_FILE'])\n");
    const run = await runCli(["profile", "--script", "many.py"], cwd);
    expect(run.exitCode).toBe(0);
    const summary = await summaryOf(cwd, run.lastLine);
    expect(summary.requests).toEqual([]);
    expect(summary.warnings?.join("\n")).toMatch(/over the 64 MB bound/);
  });

  it("a deleted session.bin is an error (exit 3), not a quiet run without reports", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "eraser.py"), "import glob, os\nblob = bytearray(1 << 20)\nfor f in glob.glob('runs/*/session.bin'): os.remove(f)\n");
    const run = await runCli(["profile", "--script", "eraser.py"], cwd);
    expect(run.exitCode).toBe(3);
    expect((await summaryOf(cwd, run.lastLine)).error_code).toBe("CAPTURE_LOST");
  });

  it("harness.log holds a large output whole and in order; the terminal gets a bounded tail", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "chatty.py"), "import sys\nfor i in range(200000):\n    sys.stdout.write('line %d\\n' % i)\n");
    const run = await runCli(["profile", "--script", "chatty.py"], cwd);
    expect(run.exitCode).toBe(0);
    const log = (await readFile(path.join(cwd, run.lastLine, "harness.log"), "utf8")).split("\n").filter((l) => l.startsWith("line "));
    expect(log).toHaveLength(200000);
    expect(log.every((line, i) => line === `line ${i}`)).toBe(true);
    expect(run.stderr.split("\n").filter((l) => l.includes("│ line ")).length).toBeLessThan(5000);
    expect(run.stderr).toMatch(/more lines in harness\.log/);
  });
});

describe("reports asked for and missing", () => {
  it("a report engine killed with SIGKILL: exit 3, REPORTS_MISSING naming them, no half-written report", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "many.py"), "blobs = []\nfor i in range(200000):\n    blobs.append(str(i) * 4)\n");
    const child = spawnCli(["profile", "--script", "many.py"], cwd);
    await untilOutput(child, "generating");
    let killed = 0;
    for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
      for (const { pid, cmdline } of await descendants(child.pid!)) {
        if (!cmdline.includes("memray_harness.report_engine")) continue;
        try {
          process.kill(-pid, "SIGKILL"); // the engine and the readers it forked: its process group
          killed += 1;
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const result = await child;
    expect(killed).toBeGreaterThan(0);
    expect(result.exitCode, String(result.stderr)).toBe(3);
    const runDir = lastLine(result.stdout);
    const summary = await summaryOf(cwd, runDir);
    expect(summary.error_code).toBe("REPORTS_MISSING");
    expect(summary.error).toMatch(/asked for were not made: .*flamegraph/);
    expect(existsSync(path.join(cwd, runDir, "flamegraph.html"))).toBe(false);

    // recover makes them from session.bin; the workload itself had succeeded: the run is whole again.
    const recovered = await runCli(["recover", runDir], cwd);
    expect(recovered.exitCode, recovered.stderr).toBe(0);
    const whole = await summaryOf(cwd, runDir);
    expect(whole.error_code).toBeNull();
    for (const file of ["flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt", "index.html"]) {
      expect(existsSync(path.join(cwd, runDir, file)), file).toBe(true);
    }
  });
});

const TICKING = `import time
blob = bytearray(8 * 1024 * 1024)
print("READY", flush=True)
for i in range(600):
    print("tick", i, flush=True)
    time.sleep(0.1)
`;

/** The one run directory under cwd/runs, once its summary.json is there. */
async function summaryAppears(cwd: string, timeoutMs = 60_000): Promise<string> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const runs = await readdir(path.join(cwd, "runs")).catch(() => [] as string[]);
    const found = runs.find((run) => existsSync(path.join(cwd, "runs", run, "summary.json")));
    if (found) return `runs/${found}`;
  }
  throw new Error(`no summary.json under ${cwd}/runs within ${timeoutMs} ms`);
}

async function untilGone(pid: number, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!stat || /\) Z /.test(stat)) return;
  }
  throw new Error(`process ${pid} still runs`);
}

describe("memray-cli itself killed (SIGKILL): the harness finishes the run alone, recover completes it", () => {
  it.each(["the CLI", "its process group"] as const)(
    "SIGKILL to %s: HOST_LOST, every measurement and report kept, nothing listed that is missing, no temp files; then recover",
    async (whom) => {
      const cwd = await scratch();
      await writeFile(path.join(cwd, "tick.py"), TICKING);
      const child = execa(process.execPath, [cliBin, "profile", "--script", "tick.py"], {
        cwd,
        reject: false,
        detached: whom === "its process group",
        env: { NO_COLOR: "1", TMPDIR: path.join(cwd, "tmp") },
      });
      await untilOutput(child, "READY");
      const harness = (await descendants(child.pid!)).find((p) => p.cmdline.includes("memray_harness"))!;
      expect(harness).toBeDefined();
      if (whom === "the CLI") child.kill("SIGKILL");
      else process.kill(-child.pid!, "SIGKILL");
      await child;
      await untilGone(harness.pid);
      const runDir = await summaryAppears(cwd);
      const summary = await summaryOf(cwd, runDir);
      expect(summary.error_code).toBe("HOST_LOST");
      expect(summary.error).toMatch(/went away during the workload/);
      expect(JSON.stringify(summary)).not.toMatch(/BrokenPipe|WORKLOAD_FAILED/);
      expect(summary.memory.tracemalloc_peak).toBeGreaterThan(8 * 1024 * 1024);
      expect(await readFile(path.join(cwd, runDir, "table.txt"), "utf8")).toMatch(/tick\.py:2/);
      for (const file of Object.values(summary.artifacts)) expect(existsSync(path.join(cwd, file!)), file).toBe(true);
      expect(summary.artifacts.index_html).toBeUndefined();
      expect(await readdir(path.join(cwd, "tmp"))).toEqual([]); // no memray-cli-config-* left behind

      const recovered = await runCli(["recover", runDir, "--json"], cwd);
      expect(recovered.exitCode, recovered.stderr).toBe(3); // still HOST_LOST: the workload was cut short by the loss
      const output = JSON.parse(recovered.stdout) as { run_dir: string; summary: Summary };
      expect(output.run_dir).toBe(runDir);
      expect(output.summary.artifacts.index_html).toBe(`${runDir}/index.html`);
      expect(existsSync(path.join(cwd, runDir, "index.html"))).toBe(true);
      expect((await summaryOf(cwd, runDir)).host_lost?.recovered_at).toBeTruthy();
    },
  );

  it("a run directory with only session.bin and the checkpoint (memray-cli and the harness both killed): recover makes the full run", async () => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "tick.py"), TICKING);
    const child = spawnCli(["profile", "--script", "tick.py"], cwd);
    await untilOutput(child, "READY");
    const harness = (await descendants(child.pid!)).find((p) => p.cmdline.includes("memray_harness"))!;
    process.kill(harness.pid, "SIGKILL");
    child.kill("SIGKILL");
    await child;
    const runs = await readdir(path.join(cwd, "runs"));
    const runDir = `runs/${runs[0]}`;
    expect(existsSync(path.join(cwd, runDir, "summary.json"))).toBe(false);
    const recovered = await runCli(["recover", runDir], cwd);
    expect(recovered.exitCode, recovered.stderr).toBe(3);
    expect(recovered.lastLine).toBe(runDir);
    const summary = await summaryOf(cwd, runDir);
    expect(summary.error_code).toBe("HOST_LOST");
    expect(summary.memory.rss_before).not.toBeNull(); // what the checkpoint kept
    expect(await readFile(path.join(cwd, runDir, "table.txt"), "utf8")).toMatch(/tick\.py:2/);
    expect(existsSync(path.join(cwd, runDir, "index.html"))).toBe(true);
  });

  it.each([
    [["recover", "runs/nope"], 2, /no run directory "runs\/nope"/],
    [["recover", "done"], 2, /is a finished run \(error_code null\): nothing to recover/],
  ])("%j is refused with exit %d and nothing changed", async (args, code, message) => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "ok.py"), "x = 1\n");
    const first = await runCli(["profile", "--script", "ok.py", "--name", "done"], cwd);
    const done = first.lastLine.split("/").at(-1)!;
    const before = await readFile(path.join(cwd, first.lastLine, "summary.json"), "utf8");
    const run = await runCli(
      args.map((arg) => (arg === "done" ? done : arg)),
      cwd,
    );
    expect(run.exitCode).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(await readFile(path.join(cwd, first.lastLine, "summary.json"), "utf8")).toBe(before);
  });
});

describe("what the harness writes is never overwritten", () => {
  it("an invalid summary.json from the harness is kept as summary.harness.json; the CLI says so and exits non-zero", async () => {
    const cwd = await scratch();
    // A stand-in harness (our own interface) that writes a summary no schema accepts.
    const fake = path.join(cwd, "fake-harness", "memray_harness");
    await mkdir(fake, { recursive: true });
    await writeFile(path.join(fake, "__init__.py"), "");
    await writeFile(
      path.join(fake, "__main__.py"),
      "import json, os, sys\ncfg = json.load(open(sys.argv[2]))\nos.makedirs(cfg['out_dir'], exist_ok=True)\n" +
        "open(os.path.join(cfg['out_dir'], 'summary.json'), 'w').write('{\"run_id\": \"x\", \"memory\": NaN}')\n" +
        // It finishes as the harness does: the end event is the host's sign that it did.
        'sys.stderr.write(\'@memray-harness {"event": "end", "exit_code": 0}\\n\')\n',
    );
    await writeFile(path.join(cwd, "ok.py"), "x = 1\n");
    const run = await runCli(["profile", "--script", "ok.py"], cwd, { MEMRAY_HARNESS_DIR: path.join(cwd, "fake-harness") });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/summary\.harness\.json/);
    expect(await readFile(path.join(cwd, run.lastLine, "summary.harness.json"), "utf8")).toContain("NaN");
    expect((await summaryOf(cwd, run.lastLine)).error_code).toBe("HARNESS_FAILED");
  });
});

describe("wrong acceptance is refused", () => {
  it("Python older than 3.9 is an environment error (3) naming the version", async () => {
    const cwd = await scratch();
    const old = path.join(cwd, "python2.7");
    await writeFile(old, "#!/bin/sh\necho 2.7.18\nexit 42\n");
    await chmod(old, 0o755);
    await writeFile(path.join(cwd, "ok.py"), "x = 1\n");
    const run = await runCli(["profile", "--script", "ok.py", "--python", old, "--allow-no-memray"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/Python 2\.7\.18.*need Python >= 3\.9/);
    expect((await summaryOf(cwd, run.lastLine)).error_code).toBe("PYTHON_TOO_OLD");
  });

  it.each([
    [["profile", "--target", "", "--mode", "snapshot"], /--target expects a container name/],
    [["profile", "--script", "x.py", "--timeout", "0"], /--timeout expects a number of seconds > 0, received "0"/],
    [["profile", "--script", "x.py", "--timeout", "99999999999"], /--timeout expects at most 604800 seconds \(7 days\), received "99999999999"/],
    [["runs", "list", "--out", "package.json"], /is a file, not a directory of runs/],
  ])("%j exits 2 with a message", async (args, message) => {
    const cwd = await scratch();
    await writeFile(path.join(cwd, "package.json"), "{}");
    const run = await runCli(args, cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("runs list names a run whose summary.json is unreadable instead of hiding it", async () => {
    const cwd = await scratch();
    await mkdir(path.join(cwd, "runs", "broken-20260101-000000"), { recursive: true });
    await writeFile(path.join(cwd, "runs", "broken-20260101-000000", "summary.json"), "{oops");
    const run = await runCli(["runs", "list"], cwd);
    expect(run.stderr).toMatch(/unreadable run runs\/broken-20260101-000000: .*malformed JSON/);
  });
});

describe.runIf(process.getuid?.() === 0)("a full disk", () => {
  it("names the file that could not be written and what it needed, keeps what was written, removes temp files, exits 3", async () => {
    const cwd = await scratch();
    const full = path.join(cwd, "full");
    await mkdir(full);
    await execa("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", full]);
    try {
      await writeFile(path.join(cwd, "ok.py"), "x = bytearray(1024)\n");
      const run = await runCli(["profile", "--script", "ok.py", "--out", full], cwd);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(/no space left .* to write the .* report|No space left to write .*summary\.json \(it needed|disk is full/i);
      expect(run.lastLine).toMatch(/ok-\d{8}-\d{6}$/);
      const left = await readdir(path.join(cwd, run.lastLine));
      expect(left.filter((file) => /\.tmp|^\.summary-|\.harness-state/.test(file))).toEqual([]);
      for (const file of left.filter((name) => name.endsWith(".html"))) {
        expect((await readFile(path.join(cwd, run.lastLine, file), "utf8")).trimEnd()).toMatch(/<\/html>$/); // none half-written
      }
    } finally {
      await execa("umount", [full]).catch(() => undefined);
    }
  });
});
