#!/usr/bin/env node
// Container benchmark: `memray-cli profile --target C --mode endpoint --endpoint /forecast` against the
// same work done by hand with docker and memray's CLI inside the container.
//
//   node tools/bench/container.mjs [--target local-forecast-1] [--endpoint /forecast] [--app module:attr]
//                                  [--repeat 3] [--python python3] [--keep]
//
// Needs the fixture stack (`tools/stack up`) and the built CLI. Per round (order alternating):
//   a. ours          the CLI as users run it (signals included: WireMock journal, logs, docker stats)
//   n. ours-nosignals the CLI with --no-signals (the same work as the manual sequence, nothing more)
//   m. manual        docker cp a script in; docker exec <python> script: load the app, then one request
//                    under memray.Tracker(native_traces=True, trace_python_allocators=True) (the window
//                    ours tracks: `memray run` would also track the import of polars/pyarrow); then
//                    docker exec memray flamegraph x4 (plain, --leaks, --temporal,
//                    --temporary-allocations) and memray stats inside the container; docker cp the
//                    directory out.
// Table on stderr, JSON on stdout and in tools/bench/results/container-<timestamp>.json.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CLI,
  FLAMEGRAPH_VARIANTS,
  RESULTS_DIR,
  cliReportSeconds,
  die,
  fmt,
  loadSnapshot,
  machineInfo,
  measure,
  median,
  peakByRole,
  requireOk,
  round,
  sampleRounds,
  sumSteps,
} from "./lib.mjs";

function parseArgs(argv) {
  const opts = {
    target: "local-forecast-1",
    endpoint: "/forecast",
    app: "forecast_service.app:app",
    appDir: "/srv/app",
    repeat: 3,
    python: "python3",
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die("container", `${a} needs a value`);
      return argv[++i];
    };
    if (a === "--target") opts.target = next();
    else if (a === "--endpoint") opts.endpoint = next();
    else if (a === "--app") opts.app = next();
    else if (a === "--app-dir") opts.appDir = next();
    else if (a === "--repeat") opts.repeat = Number(next());
    else if (a === "--python") opts.python = next();
    else if (a === "--keep") opts.keep = true;
    else if (a === "-h" || a === "--help") {
      process.stderr.write("usage: node tools/bench/container.mjs [--target C] [--endpoint PATH] [--app module:attr] [--app-dir DIR] [--repeat N] [--keep]\n");
      process.exit(0);
    } else die("container", `unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.repeat) || opts.repeat < 1) die("container", "--repeat expects a positive integer");
  return opts;
}

// One request to the app, in-process, under the same Tracker flags as ours; the app is loaded first.
const MANUAL_SCRIPT = `
import importlib, sys, memray
out, app_ref, app_dir, endpoint = sys.argv[1:5]
sys.path.insert(0, app_dir)
module, attr = app_ref.split(":")
app = getattr(importlib.import_module(module), attr)
client = app.test_client()
with memray.Tracker(out, native_traces=True, trace_python_allocators=True):
    response = client.get(endpoint)
    body = response.get_data()
print(response.status_code, len(body))
`;

function containerPython(target) {
  try {
    return execFileSync("docker", ["exec", target, "sh", "-c", "command -v python3 || command -v python"], { encoding: "utf8" }).trim().split("\n")[0];
  } catch (err) {
    die("container", `cannot run python in ${target} (${err.message.split("\n")[0]}); is the stack up (tools/stack status)?`);
  }
}

async function ours(opts, dir, signals) {
  const logFile = path.join(dir, "bench.log");
  const argv = [
    "node",
    CLI,
    "profile",
    "--target",
    opts.target,
    "--mode",
    "endpoint",
    "--endpoint",
    opts.endpoint,
    "--out",
    path.join(dir, "runs"),
    "--name",
    "bench",
    ...(signals ? [] : ["--no-signals"]),
  ];
  const r = await measure(opts.python, argv, { cwd: dir, env: { NO_COLOR: "1" }, logFile });
  requireOk("ours", r, logFile);
  const runDir = path.join(dir, "runs", readdirSync(path.join(dir, "runs"))[0]);
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8"));
  const at = (needle) => r.lines.find((l) => l.text.includes(needle))?.t;
  const phases = {};
  const tRun = at("running the endpoint workload");
  const tReports = at("generating ");
  const tSummary = at("writing summary.json");
  const tCopy = at("copying the run directory out");
  if (tRun !== undefined) phases.until_workload = tRun;
  if (tRun !== undefined && tReports !== undefined) phases.workload = tReports - tRun;
  if (tReports !== undefined && tSummary !== undefined) phases.reports = tSummary - tReports;
  if (tCopy !== undefined) phases.copy_out_and_exit = r.outer_wall - tCopy;
  const reports = cliReportSeconds(r, logFile);
  return {
    wall: r.wall,
    cpu_host: r.user + r.sys,
    phases,
    reports,
    peak_rss_kb: peakByRole(r),
    status: summary.requests?.[0]?.status ?? null,
    memray_stats: summary.memray_stats ?? null,
    memory: summary.memory ?? null,
    warnings: summary.warnings ?? [],
  };
}

async function manual(opts, dir, py) {
  const logFile = path.join(dir, "bench.log");
  const remote = `/tmp/memray-bench-${path.basename(dir)}`;
  const script = path.join(dir, "request.py");
  writeFileSync(script, MANUAL_SCRIPT);
  const m = (argv) => measure(opts.python, argv, { cwd: dir, logFile });
  const ex = (...args) => ["docker", "exec", "-w", opts.appDir, opts.target, ...args];
  const steps = {};
  steps.copy_in = await m(["sh", "-c", `docker exec ${opts.target} mkdir -p ${remote} && docker cp ${script} ${opts.target}:${remote}/request.py`]);
  steps.capture = await m(ex(py, `${remote}/request.py`, `${remote}/session.bin`, opts.app, opts.appDir, opts.endpoint));
  for (const [name, flags] of FLAMEGRAPH_VARIANTS) {
    steps[name] = await m(ex(py, "-m", "memray", "flamegraph", ...flags, "-o", `${remote}/${name}.html`, `${remote}/session.bin`));
  }
  steps.stats = await m(ex("sh", "-c", `${py} -m memray stats ${remote}/session.bin > ${remote}/stats.txt`));
  steps.copy_out = await m(["docker", "cp", `${opts.target}:${remote}`, path.join(dir, "out")]);
  try {
    execFileSync("docker", ["exec", opts.target, "rm", "-rf", remote]);
  } catch {
    /* best effort */
  }
  for (const [name, s] of Object.entries(steps)) requireOk(`manual/${name}`, s, logFile);
  for (const f of ["session.bin", "flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "stats.txt"]) {
    if (!existsSync(path.join(dir, "out", f))) throw new Error(`manual: ${f} missing after docker cp; see ${logFile}`);
  }
  const total = sumSteps(steps);
  return { wall: total.wall, cpu_host: total.user + total.sys, steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, round(v.wall)])) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(CLI)) die("container", `${CLI} is missing: build it with (cd packages/cli && npx tsup)`);
  const machine = machineInfo(opts.python);
  const py = containerPython(opts.target);
  const memray = execFileSync("docker", ["exec", opts.target, py, "-c", "from memray._version import __version__ as v; print(v)"], { encoding: "utf8" }).trim();
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "memray-container-bench-"));
  process.stderr.write(
    `container bench: ${opts.target} ${opts.endpoint} (memray ${memray} at ${py}); ${opts.repeat} round(s); ` +
      `load ${machine.load_start.loadavg.join(" ")}; temp ${tmpRoot}\n`,
  );
  const configs = [
    { key: "ours", label: "a. ours (CLI, signals on)", run: (dir) => ours(opts, dir, true) },
    { key: "ours_nosignals", label: "n. ours --no-signals", run: (dir) => ours(opts, dir, false) },
    { key: "manual", label: "m. manual (docker exec memray, 4 flamegraphs + stats, docker cp)", run: (dir) => manual(opts, dir, py) },
  ];
  const samples = await sampleRounds(configs, {
    repeat: opts.repeat,
    tmpRoot,
    keep: opts.keep,
    alternate: true,
    show: (c, round_, r, load) =>
      process.stderr.write(`  round ${round_} ${c.key.padEnd(15)} ${r.wall.toFixed(2).padStart(7)} s wall  (load1 ${load.toFixed(2)})\n`),
  });
  if (!opts.keep) rmSync(tmpRoot, { recursive: true, force: true });
  machine.load_end = loadSnapshot();
  const runs = {};
  for (const c of configs) {
    const s = samples[c.key];
    runs[c.key] = {
      wall: round(median(s.map((x) => x.wall))),
      samples_wall: s.map((x) => round(x.wall)),
      load1_before: s.map((x) => x.load1_before),
      last: s[s.length - 1],
    };
  }
  const ratio = (a, b) => round(a / b);
  const ratios = {
    ours_over_manual: ratio(runs.ours.wall, runs.manual.wall),
    nosignals_over_manual: ratio(runs.ours_nosignals.wall, runs.manual.wall),
    by_round: samples.ours.map((x, i) => ratio(x.wall, samples.manual[i].wall)),
    target: 0.7,
  };
  const result = {
    bench: "container",
    timestamp: new Date().toISOString(),
    target: opts.target,
    endpoint: opts.endpoint,
    memray,
    repeat: opts.repeat,
    machine,
    runs,
    ratios,
  };
  const w = process.stderr;
  w.write(`\ncontainer bench: median of ${opts.repeat}; load start ${machine.load_start.loadavg.join(" ")} end ${machine.load_end.loadavg.join(" ")}\n`);
  for (const c of configs) {
    const r = runs[c.key];
    w.write(`${c.label.padEnd(70)} ${fmt(r.wall).padStart(8)} s\n`);
    for (const [k, v] of Object.entries(r.last.phases ?? {})) w.write(`${("    phase " + k).padEnd(70)} ${fmt(v).padStart(8)}\n`);
    for (const [k, v] of Object.entries(r.last.reports ?? {}))
      w.write(`${("    report " + k + " (own clock, concurrent)").padEnd(70)} ${fmt(v).padStart(8)}\n`);
    for (const [k, v] of Object.entries(r.last.steps ?? {})) w.write(`${("    " + k).padEnd(70)} ${fmt(v).padStart(8)}\n`);
  }
  w.write(
    `ratio ours/manual = ${fmt(ratios.ours_over_manual)} (target <= 0.7: ${ratios.ours_over_manual <= 0.7 ? "met" : "NOT met"}); ` +
      `--no-signals/manual = ${fmt(ratios.nosignals_over_manual)}; by round ${ratios.by_round.map((x) => fmt(x)).join(" ")}\n`,
  );
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(json + "\n");
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `container-${result.timestamp.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, json + "\n");
  w.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

main().catch((err) => {
  process.stderr.write(`container bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
