#!/usr/bin/env node
// Benchmark: the time signals (WireMock journal, container logs, container stats) add to a container run.
//
//   node tools/bench/signals.mjs [--containers 20] [--repeat 3] [--target local-forecast-1] [--endpoint /health] [--keep]
//
// Needs the fixture stack (tools/stack up), memray in the target (memray-cli install --target T) and the
// built CLI (npx nx run-many -t build). Starts extra cheap containers (memray-cli/base:bookworm, a few log
// lines then `sleep`) labelled into the target's Compose project, on a network of their own created here,
// until the project has --containers running containers; removes them and the network afterwards (also on
// Ctrl-C). Then runs `profile --mode endpoint` with signals and with --no-signals, interleaved --repeat
// times, and reports the median wall times, the seconds signals add and the ratio. Table on stderr, one
// JSON object on stdout and in tools/bench/results/signals-<timestamp>.json. Plain Node, no dependencies.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const CLI = path.join(ROOT, "packages", "cli", "dist", "bin.js");
const RESULTS_DIR = path.join(HERE, "results");
const EXTRA_IMAGE = "memray-cli/base:bookworm";
// A literal program, never built from input: 200 log lines, then idle.
const EXTRA_CMD = ["sh", "-c", 'i=0; while [ $i -lt 200 ]; do echo "bench extra line $i"; i=$((i+1)); done; exec sleep infinity'];

class BenchError extends Error {}

/** Thrown, never process.exit: the finally block removes what the bench started. */
function die(message) {
  throw new BenchError(message);
}

function parseArgs(argv) {
  const opts = { containers: 20, repeat: 3, target: "local-forecast-1", endpoint: "/health", keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : die(`${a} needs a value`));
    if (a === "--containers") opts.containers = positiveInt(a, next());
    else if (a === "--repeat") opts.repeat = positiveInt(a, next());
    else if (a === "--target") opts.target = next();
    else if (a === "--endpoint") opts.endpoint = next();
    else if (a === "--keep") opts.keep = true;
    else if (a === "-h" || a === "--help") {
      process.stderr.write("usage: node tools/bench/signals.mjs [--containers 20] [--repeat 3] [--target local-forecast-1] [--endpoint /health] [--keep]\n");
      process.exit(0); // nothing started yet
    } else die(`unknown argument ${a}`);
  }
  if (opts.containers > 60) die("--containers is bounded at 60");
  if (opts.repeat > 20) die("--repeat is bounded at 20");
  return opts;
}

function positiveInt(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) die(`${flag} must be a positive integer, got ${value}`);
  return n;
}

const docker = (...args) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 }).trim();

function projectContainers(project) {
  const out = docker("ps", "--filter", `label=com.docker.compose.project=${project}`, "--format", "{{.Names}}");
  return out ? out.split("\n") : [];
}

/** One CLI run: wall seconds, exit code, the summary's signals and the "before" phase from the progress lines. */
function runCli(args, cwd) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      let summary = {};
      try {
        summary = JSON.parse(stdout.trim().split("\n").at(-1)).summary;
      } catch {
        // reported below through exit
      }
      // Progress lines: "[  1.3s] collecting signals before the workload" then "[  1.6s] profiling (...)".
      const at = (pattern) => {
        const line = stderr.split("\n").find((l) => pattern.test(l));
        return line ? Number(/\[\s*([\d.]+)s\]/.exec(line)?.[1]) : null;
      };
      const signalsAt = at(/collecting signals before the workload/);
      const runAt = at(/\] profiling \(/);
      // How long the harness waited for the "after" signals once its reports were done.
      const lines = stderr.split("\n").filter((l) => /^\[\s*[\d.]+s\]/.test(l));
      const waitIndex = lines.findIndex((l) => /waiting for the host's signals/.test(l));
      const stamp = (l) => Number(/\[\s*([\d.]+)s\]/.exec(l)[1]);
      const afterWait = waitIndex >= 0 && lines[waitIndex + 1] ? stamp(lines[waitIndex + 1]) - stamp(lines[waitIndex]) : null;
      resolve({
        wall,
        exit: code,
        signals: summary?.signals,
        beforePhase: signalsAt !== null && runAt !== null ? runAt - signalsAt : null,
        afterWait,
        stderrTail: stderr.split("\n").slice(-8).join("\n"),
      });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (n, digits = 2) => (n === null || n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const info = JSON.parse(docker("inspect", opts.target))[0];
  if (!info?.State?.Running) die(`${opts.target} is not running (tools/stack up)`);
  const project = info.Config.Labels?.["com.docker.compose.project"];
  if (!project) die(`${opts.target} belongs to no Compose project`);

  const tag = `memray-bench-${process.pid}`;
  const network = `${tag}_net`;
  const extras = [];
  const cleanup = () => {
    if (opts.keep) return;
    for (const name of extras) {
      try {
        docker("rm", "-f", name);
      } catch {
        // already gone
      }
    }
    try {
      docker("network", "rm", network);
    } catch {
      // never created
    }
  };
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });

  const work = mkdtempSync(path.join(os.tmpdir(), "memray-bench-signals-"));
  const results = { signals: [], noSignals: [] };
  try {
    const existing = projectContainers(project).length;
    const missing = Math.max(0, opts.containers - existing);
    process.stderr.write(`project ${project}: ${existing} running; starting ${missing} extra containers on network ${network}\n`);
    docker("network", "create", "--label", `org.memray-cli.bench=${tag}`, network);
    for (let i = 0; i < missing; i++) {
      const name = `${tag}-extra-${i + 1}`;
      docker(
        "run",
        "-d",
        "--name",
        name,
        "--network",
        network,
        "--label",
        `com.docker.compose.project=${project}`,
        "--label",
        `com.docker.compose.service=bench-extra-${i + 1}`,
        "--label",
        "com.docker.compose.container-number=1",
        "--label",
        "com.docker.compose.oneoff=False",
        "--label",
        `org.memray-cli.bench=${tag}`,
        EXTRA_IMAGE,
        ...EXTRA_CMD,
      );
      extras.push(name);
    }
    const total = projectContainers(project).length;
    process.stderr.write(`project ${project}: ${total} running containers\n`);

    const base = ["profile", "--target", opts.target, "--mode", "endpoint", "--endpoint", opts.endpoint, "--out", path.join(work, "runs"), "--json"];
    await runCli([...base, "--no-signals"], work); // warm-up: page cache, the target's first import
    for (let round = 1; round <= opts.repeat; round++) {
      const order = round % 2 ? ["signals", "noSignals"] : ["noSignals", "signals"];
      for (const kind of order) {
        const run = await runCli(kind === "signals" ? base : [...base, "--no-signals"], work);
        if (run.exit !== 0) die(`a ${kind} run exited ${run.exit}:\n${run.stderrTail}`);
        if (kind === "signals" && run.signals?.container_stats?.status !== "ok") die(`signals were not collected: ${JSON.stringify(run.signals)}`);
        results[kind].push(run);
        const phases =
          kind === "signals"
            ? ` (before the workload ${run.beforePhase?.toFixed(1) ?? "?"} s, harness waited after its reports ${run.afterWait?.toFixed(1) ?? "?"} s)`
            : "";
        process.stderr.write(`round ${round} ${kind.padEnd(9)} ${run.wall.toFixed(2)} s${phases}\n`);
      }
    }
    const withSignals = median(results.signals.map((r) => r.wall));
    const without = median(results.noSignals.map((r) => r.wall));
    // Each round runs both back to back: their difference is what signals add under the same load; the
    // median over rounds resists the load swings of a shared machine better than a difference of medians.
    const paired = results.signals.map((r, i) => r.wall - results.noSignals[i].wall);
    const pairedRatios = results.signals.map((r, i) => r.wall / results.noSignals[i].wall);
    const last = results.signals.at(-1).signals;
    const report = {
      bench: "signals",
      timestamp: new Date().toISOString(),
      target: opts.target,
      endpoint: opts.endpoint,
      project,
      containers: total,
      repeat: opts.repeat,
      machine: { cores: os.cpus().length, node: process.version, load_start: os.loadavg()[0] },
      median_wall_seconds: { signals: round(withSignals), no_signals: round(without) },
      seconds_added: round(median(paired)),
      ratio: round(median(pairedRatios), 3),
      difference_of_medians: round(withSignals - without),
      samples: {
        signals: results.signals.map((r) => round(r.wall)),
        no_signals: results.noSignals.map((r) => round(r.wall)),
        paired_added: paired.map((d) => round(d)),
      },
      before_phase_seconds: results.signals.map((r) => round(r.beforePhase, 1)),
      harness_wait_after_reports_seconds: results.signals.map((r) => round(r.afterWait, 1)),
      machine_load_end: os.loadavg()[0],
      collectors_last_run: Object.fromEntries(
        Object.entries(last ?? {}).map(([name, c]) => [name, { status: c.status, seconds: c.duration_seconds, files: c.files.length }]),
      ),
      goal: "no more than 3 s added",
    };
    process.stderr.write(
      `\n${total} containers, ${opts.repeat} rounds: median with signals ${report.median_wall_seconds.signals} s, --no-signals ${report.median_wall_seconds.no_signals} s; ` +
        `per round signals add a median ${report.seconds_added} s, ratio ${report.ratio} (goal: ≤ 3 s added; load ${report.machine.load_start.toFixed(1)} → ${report.machine_load_end.toFixed(1)})\n`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `signals-${report.timestamp.replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    cleanup();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(error instanceof BenchError ? `signals bench: ${error.message}\n` : `signals bench failed: ${error.stack ?? error}\n`);
  process.exitCode = error instanceof BenchError ? 2 : 1;
});
