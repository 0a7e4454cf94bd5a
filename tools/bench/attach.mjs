#!/usr/bin/env node
// Mode attach's cost, measured against baselines in the same run:
//
//   node tools/bench/attach.mjs [--requests 400] [--window 300] [--skip-window]
//
// Needs the fixture stack (`tools/stack up`: local-optimization-1 is gunicorn with 2 workers, gdb and
// SYS_PTRACE) with memray installed in it (`memray-cli install --target local-optimization-1`), and the
// built CLI. Each figure is a median over its samples; the table goes to stderr, JSON to stdout and to
// tools/bench/results/attach-<timestamp>.json.
//
//   1. start-up: from `memray-cli profile --mode attach` to "tracking started" in both workers (the
//      CLI's wall clock), and the harness's own figure (discovery done → all tracking), 5 rounds.
//   2. the service under load (`--requests` sequential GETs of /run?items=2000 on 127.0.0.1:6000, latency median
//      and p95, requests per second): a. as it runs; b. while attach tracks both workers; c. the same
//      service started by hand under `memray run --native --trace-python-allocators --follow-fork`
//      (the fair baseline: what a user would do without memray-cli), a throwaway container on port 6098.
//   3. the capture's size over a `--window` seconds window under steady traffic (GET /run, ~10/s), with and
//      without --aggregate (skipped with --skip-window: 2 × the window).

import { spawn, execFileSync } from "node:child_process";
import http from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CLI, RESULTS_DIR, die, fmt, machineInfo, median, round } from "./lib.mjs";

const SERVICE = "local-optimization-1";
const BY_HAND = `memray-bench-by-hand-${process.pid}`;

function parseArgs(argv) {
  const opts = { requests: 400, window: 300, skipWindow: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--requests") opts.requests = Number(argv[++i]);
    else if (a === "--window") opts.window = Number(argv[++i]);
    else if (a === "--skip-window") opts.skipWindow = true;
    else if (a === "-h" || a === "--help") {
      process.stderr.write("usage: node tools/bench/attach.mjs [--requests N] [--window SECONDS] [--skip-window]\n");
      process.exit(0);
    } else die("attach", `unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.requests) || opts.requests < 10) die("attach", "--requests expects an integer >= 10");
  return opts;
}

/** One GET; its latency in ms, or null when it failed. */
function get(port, route) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: route, timeout: 10_000, agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode === 200 ? Number(process.hrtime.bigint() - t0) / 1e6 : null));
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(null));
  });
}

/** `count` sequential GETs: latency median and p95 (ms), throughput (requests/s), failures. */
async function load(port, route, count) {
  const latencies = [];
  let failed = 0;
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const ms = await get(port, route);
    if (ms === null) failed++;
    else latencies.push(ms);
  }
  const seconds = (Date.now() - t0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return { median_ms: round(median(sorted)), p95_ms: round(sorted[Math.floor(sorted.length * 0.95)] ?? NaN), rps: round(count / seconds), failed };
}

/** Start `memray-cli profile --mode attach ...`; resolves once both workers are tracked, with the wall seconds it took. */
function startAttach(args, cwd) {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, "profile", "--target", SERVICE, "--mode", "attach", "--no-signals", ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stderr = "";
  const tracking = new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk.toString();
      const started = /tracking started by \S+ in ([\d.]+) s/.exec(stderr);
      if (started) resolve({ wall: (Date.now() - t0) / 1000, harness: Number(started[1]) });
    });
    child.on("exit", (code) => reject(new Error(`attach ended (${code}) before tracking started:\n${stderr}`)));
  });
  const done = new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
  let stdout = "";
  child.stdout.on("data", (chunk) => (stdout += chunk.toString()));
  return { child, tracking, done: done.then((r) => ({ ...r, runDir: stdout.trim().split("\n").at(-1) })) };
}

function docker(args) {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

async function waitHealthy(port) {
  for (let i = 0; i < 100; i++) {
    if ((await get(port, "/health")) !== null) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  die("attach", `nothing answers on 127.0.0.1:${port}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cwd = mkdtempSync(path.join(os.tmpdir(), "memray-bench-attach-"));
  await waitHealthy(6000);
  const result = { machine: machineInfo("python3"), requests: opts.requests };

  const say = (line) => process.stderr.write(`[attach bench] ${line}\n`);
  // 1. start-up, 5 rounds
  say("start-up: 5 rounds of --duration 1");
  const startups = [];
  for (let round = 0; round < 5; round++) {
    const run = startAttach(["--duration", "1"], cwd);
    startups.push(await run.tracking);
    const end = await run.done;
    if (end.code !== 0) die("attach", `attach exited ${end.code}:\n${end.stderr}`);
  }
  result.startup = {
    wall_seconds: round(median(startups.map((s) => s.wall))),
    harness_seconds: round(median(startups.map((s) => s.harness))),
    rounds: startups,
  };

  // 2. the service under load: plain, during attach, under memray run by hand
  say(`load: ${opts.requests} requests, plain`);
  await load(6000, "/run?items=2000", 20); // warm-up
  const plain = await load(6000, "/run?items=2000", opts.requests);
  say("load: during attach");
  const attach = startAttach(["--duration", "600"], cwd);
  await attach.tracking;
  const during = await load(6000, "/run?items=2000", opts.requests);
  say("load: stopping attach (SIGINT)");
  attach.child.kill("SIGINT");
  const ended = await attach.done;
  if (ended.code !== 0) die("attach", `attach exited ${ended.code}:\n${ended.stderr}`);
  say("load: the service under memray run by hand");
  docker(["run", "-d", "--name", BY_HAND, "--network", "host", "memray-cli/optimization:trixie", "sleep", "infinity"]);
  let byHand;
  try {
    docker(["exec", BY_HAND, "sh", "-c", "pip install -q memray==1.20.0 2>/dev/null || true"]);
    execFileSync("docker", [
      "exec",
      "-d",
      BY_HAND,
      "memray",
      "run",
      "--native",
      "--trace-python-allocators",
      "--follow-fork",
      "-o",
      "/tmp/by-hand.bin",
      "-m",
      "gunicorn",
      "--workers",
      "2",
      "--bind",
      "127.0.0.1:6098",
      "optimization_service.app:app",
    ]);
    await waitHealthy(6098);
    await load(6098, "/run?items=2000", 20);
    byHand = await load(6098, "/run?items=2000", opts.requests);
  } finally {
    docker(["rm", "-f", BY_HAND]);
  }
  result.load = { plain, attach: during, memray_run_by_hand: byHand };
  result.ratios = {
    latency_attach_vs_plain: round(during.median_ms / plain.median_ms),
    latency_attach_vs_memray_run: round(during.median_ms / byHand.median_ms),
    rps_attach_vs_plain: round(during.rps / plain.rps),
    rps_attach_vs_memray_run: round(during.rps / byHand.rps),
  };

  // 3. the capture's size over a long window, with and without --aggregate
  if (!opts.skipWindow) {
    result.window = { seconds: opts.window };
    for (const aggregate of [false, true]) {
      say(`capture over ${opts.window} s${aggregate ? " with --aggregate" : ""}`);
      const run = startAttach(["--duration", String(opts.window), ...(aggregate ? ["--aggregate"] : [])], cwd);
      await run.tracking;
      const deadline = Date.now() + opts.window * 1000;
      let sent = 0;
      while (Date.now() < deadline - 1000) {
        await get(6000, "/run?items=2000");
        sent++;
        await new Promise((r) => setTimeout(r, 100));
      }
      const end = await run.done;
      const summary = JSON.parse(readFileSync(path.join(cwd, end.runDir, "summary.json"), "utf8"));
      const bytes = summary.attach.processes.reduce((total, p) => total + (p.capture_bytes ?? 0), 0);
      result.window[aggregate ? "aggregate_bytes" : "full_bytes"] = bytes;
      result.window[aggregate ? "aggregate_requests" : "full_requests"] = sent;
    }
    result.ratios.capture_aggregate_vs_full = round(result.window.aggregate_bytes / result.window.full_bytes);
  }

  const table = [
    `start-up (median of 5): ${fmt(result.startup.wall_seconds)} s from the command to tracking in both workers (harness: ${fmt(result.startup.harness_seconds)} s)`,
    `service under load (${opts.requests} sequential GET /run?items=2000):`,
    `  plain                latency median ${fmt(plain.median_ms)} ms, p95 ${fmt(plain.p95_ms)} ms, ${fmt(plain.rps)} req/s`,
    `  during attach        latency median ${fmt(during.median_ms)} ms, p95 ${fmt(during.p95_ms)} ms, ${fmt(during.rps)} req/s`,
    `  memray run by hand   latency median ${fmt(byHand.median_ms)} ms, p95 ${fmt(byHand.p95_ms)} ms, ${fmt(byHand.rps)} req/s`,
    `  ratios: latency ${fmt(result.ratios.latency_attach_vs_plain)}x plain, ${fmt(result.ratios.latency_attach_vs_memray_run)}x memray run; throughput ${fmt(result.ratios.rps_attach_vs_plain)}x plain, ${fmt(result.ratios.rps_attach_vs_memray_run)}x memray run`,
    ...(result.window
      ? [
          `capture over ${opts.window} s: full ${(result.window.full_bytes / 1024).toFixed(0)} KiB, --aggregate ${(result.window.aggregate_bytes / 1024).toFixed(0)} KiB (${fmt(result.ratios.capture_aggregate_vs_full)}x)`,
        ]
      : []),
  ];
  process.stderr.write(`${table.join("\n")}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `attach-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => die("attach", error.stack ?? String(error)));
