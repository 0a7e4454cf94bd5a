#!/usr/bin/env node
// Benchmark of `memray-cli profile --mode script` against doing the same work with memray's own CLI.
//
//   node tools/bench/script-mode.mjs [--repeat N] [--allocations N] [--python python3] [--no-phases] [--keep]
//
// Plain Node ESM, no dependencies. Every configuration runs --repeat times, each on a fresh temp dir;
// runs are interleaved (a b c d e [p] per round) so load drift hits all of them alike. The table goes to
// stderr, one JSON object to stdout and to tools/bench/results/script-mode-<timestamp>.json.
// See tools/bench/README.md for what each configuration measures.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, openSync, closeSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const CLI = path.join(ROOT, "packages", "cli", "dist", "bin.js");
const PYTHON_DIR = path.join(ROOT, "python");
const WORKLOAD = path.join(HERE, "workloads", "million_allocs.py");
const RESULTS_DIR = path.join(HERE, "results");
const EVENT_PREFIX = "@memray-harness ";
const FLAMEGRAPH_VARIANTS = [
  ["flamegraph", []],
  ["leaks", ["--leaks"]],
  ["temporal", ["--temporal"]],
  ["temp-allocs", ["--temporary-allocations"]],
];
const FULL_REPORTS = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"];
const FULL_OUTPUTS = ["session.bin", "flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html",
  "table.txt", "tree.txt", "summary.json"];

// Runs argv as a child, waits, and reports wall + CPU (user/sys) of the whole process tree that was
// waited for (RUSAGE_CHILDREN covers grandchildren such as the harness's memray subprocesses).
// The wall clock is taken here, so the wrapper's own start-up is not counted.
const MEASURE_PY = `
import json, os, resource, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.perf_counter()
try:
    rc = subprocess.call(argv)
except OSError as exc:
    sys.stderr.write("measure: %s\\n" % exc); rc = 127
wall = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    json.dump({"wall": wall, "user": after.ru_utime - before.ru_utime, "sys": after.ru_stime - before.ru_stime,
               "exit": rc, "max_rss_kb": after.ru_maxrss}, f)
sys.exit(0)
`;

function parseArgs(argv) {
  const opts = { repeat: 3, allocations: 1_000_000, python: "python3", phases: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--repeat") opts.repeat = positiveInt(a, next());
    else if (a === "--allocations") opts.allocations = positiveInt(a, next());
    else if (a === "--python") opts.python = next();
    else if (a === "--no-phases") opts.phases = false;
    else if (a === "--keep") opts.keep = true;
    else if (a === "-h" || a === "--help") {
      process.stderr.write(
        "usage: node tools/bench/script-mode.mjs [--repeat N (3)] [--allocations N (1000000)] [--python python3] [--no-phases] [--keep]\n",
      );
      process.exit(0);
    } else die(`unknown argument ${a}`);
  }
  return opts;
}

function positiveInt(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) die(`${flag} must be a positive integer, got ${value}`);
  return n;
}

function die(message) {
  process.stderr.write(`script-mode bench: ${message}\n`);
  process.exit(2);
}

/** Run one command through the measuring wrapper. Returns {wall,user,sys,exit,events,...}. */
function measure(python, argv, { cwd, env, logFile }) {
  return new Promise((resolve, reject) => {
    const resultFile = path.join(cwd, `.measure-${process.hrtime.bigint()}.json`);
    const log = openSync(logFile, "a");
    const started = performance.now();
    const child = spawn(python, ["-c", MEASURE_PY, resultFile, ...argv], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", log, "pipe"],
    });
    const events = [];
    const lines = [];
    let pending = "";
    const stderrChunks = [];
    child.stderr.on("data", (chunk) => {
      const now = (performance.now() - started) / 1000;
      stderrChunks.push(chunk);
      pending += chunk.toString("utf8");
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push({ t: now, text: line.replace(/\x1b\[[0-9;]*m/g, "") });
        if (line.startsWith(EVENT_PREFIX)) {
          try {
            events.push({ t: now, ...JSON.parse(line.slice(EVENT_PREFIX.length)) });
          } catch {
            /* not an event after all */
          }
        }
      }
    });
    child.on("error", (err) => {
      closeSync(log);
      reject(err);
    });
    child.on("close", () => {
      const outerWall = (performance.now() - started) / 1000;
      writeFileSync(log, Buffer.concat(stderrChunks), { flag: "a" });
      closeSync(log);
      let m;
      try {
        m = JSON.parse(readFileSync(resultFile, "utf8"));
      } catch (err) {
        return reject(new Error(`measuring ${argv.join(" ")} failed (${err.message}); see ${logFile}`));
      }
      rmSync(resultFile, { force: true });
      resolve({ ...m, outer_wall: outerWall, events, lines });
    });
  });
}

function sumSteps(steps) {
  const total = { wall: 0, user: 0, sys: 0, exit: 0 };
  for (const s of Object.values(steps)) {
    total.wall += s.wall;
    total.user += s.user;
    total.sys += s.sys;
    if (s.exit !== 0) total.exit = s.exit;
  }
  return total;
}

function requireOk(name, r, logFile) {
  if (r.exit !== 0) throw new Error(`${name} exited ${r.exit}; see ${logFile}`);
}

function requireFiles(name, dir, files) {
  const missing = files.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) throw new Error(`${name}: missing ${missing.join(", ")} in ${dir}`);
}

function harnessConfig(dir, workloadArgs, reports) {
  return {
    mode: "script",
    run_id: `bench-${path.basename(dir)}`,
    out_dir: path.join(dir, "out"),
    artifact_prefix: "out",
    script: WORKLOAD,
    script_path: WORKLOAD,
    script_args: workloadArgs,
    native_traces: true,
    trace_python_allocators: true,
    allow_no_memray: false,
    install_requirements: false,
    requests_file: path.join(dir, "requests.json"),
    reports,
    timeout_seconds: null,
  };
}

/**
 * Phase split of a CLI run from its progress lines (`[  1.4s] message` on stderr, arrival times here):
 * start-up + Python/memray probe + staging + harness start-up, capture, reports, summary/index + exit.
 */
function cliPhases(r) {
  const at = (needle) => r.lines.find((l) => l.text.includes(needle))?.t;
  const wrapper = Math.max(0, r.outer_wall - r.wall);
  const tProbe = at("checking Python and memray");
  const tHarness = at("profiling (script)");
  const tCapture = at("running the script workload");
  const tReports = at("generating ");
  const tSummary = at("writing summary.json");
  const phases = {};
  if (tProbe !== undefined) phases.node_startup = tProbe - wrapper;
  if (tProbe !== undefined && tHarness !== undefined) phases.probe_and_stage = tHarness - tProbe;
  if (tHarness !== undefined && tCapture !== undefined) phases.harness_startup = tCapture - tHarness;
  if (tCapture !== undefined && tReports !== undefined) phases.capture = tReports - tCapture;
  if (tReports !== undefined && tSummary !== undefined) phases.reports = tSummary - tReports;
  if (tSummary !== undefined) phases.summary_index_exit = r.outer_wall - tSummary;
  const reports = {};
  for (const l of r.lines) {
    const m = /report (\S+) ([\d.]+)s/.exec(l.text);
    if (m) reports[m[1]] = Number(m[2]);
  }
  return { phases, reports };
}

/** Phase split of a harness run from its progress events (times relative to the spawn). */
function harnessPhases(r) {
  const step = (name) => r.events.find((e) => e.event === "step" && e.step === name)?.t;
  const tCapture = step("capture");
  const tReports = step("reports");
  const tSummary = step("summary");
  const phases = {};
  // Event times count from the spawn of the measuring wrapper; take its own start-up off.
  const wrapper = Math.max(0, r.outer_wall - r.wall);
  if (tCapture !== undefined) phases.startup = tCapture - wrapper;
  if (tCapture !== undefined) phases.capture = (tReports ?? tSummary ?? r.outer_wall) - tCapture;
  if (tReports !== undefined && tSummary !== undefined) phases.reports = tSummary - tReports;
  if (tSummary !== undefined) phases.summary_and_exit = r.outer_wall - tSummary;
  const reports = {};
  for (const e of r.events) if (e.event === "report") reports[e.name] = e.seconds;
  return { phases, reports };
}

function makeConfigs(opts) {
  const py = opts.python;
  const workloadArgs = ["--allocations", String(opts.allocations)];
  const pythonPath = { PYTHONPATH: PYTHON_DIR + (process.env.PYTHONPATH ? path.delimiter + process.env.PYTHONPATH : "") };
  const configs = [
    {
      key: "ours_full",
      label: "a. ours-full (CLI: capture + 6 reports + summary)",
      async run(dir, logFile) {
        const argv = ["node", CLI, "profile", "--mode", "script", "--script", WORKLOAD, "--out", path.join(dir, "runs"),
          "--python", py, "--name", "bench", "--", ...workloadArgs];
        const r = await measure(py, argv, { cwd: dir, env: { NO_COLOR: "1" }, logFile });
        requireOk(this.key, r, logFile);
        const runs = readdirSync(path.join(dir, "runs"));
        if (runs.length !== 1) throw new Error(`ours_full: expected one run dir, got ${runs.join(", ")}`);
        const runDir = path.join(dir, "runs", runs[0]);
        requireFiles(this.key, runDir, FULL_OUTPUTS);
        const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8"));
        return { ...r, ...cliPhases(r), memray_stats: summary.memray_stats ?? null, warnings: summary.warnings ?? [],
          harness_duration: summary.duration_seconds ?? null };
      },
    },
    {
      key: "baseline_full",
      label: "b. baseline-full (memray run + 4 flamegraphs + stats)",
      async run(dir, logFile) {
        const steps = {};
        const m = (argv) => measure(py, argv, { cwd: dir, env: {}, logFile });
        steps.run = await m([py, "-m", "memray", "run", "--native", "--trace-python-allocators", "-o", "s.bin", WORKLOAD, ...workloadArgs]);
        for (const [name, flags] of FLAMEGRAPH_VARIANTS) {
          steps[name] = await m([py, "-m", "memray", "flamegraph", ...flags, "-o", `${name}.html`, "s.bin"]);
        }
        // `memray stats` prints to stdout, which measure() sends to the log file (redirected).
        steps.stats = await m([py, "-m", "memray", "stats", "s.bin"]);
        const total = sumSteps(steps);
        for (const [name, s] of Object.entries(steps)) requireOk(`${this.key}/${name}`, s, logFile);
        requireFiles(this.key, dir, ["s.bin", "flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html"]);
        return { ...total, steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, pick(v)])) };
      },
    },
    {
      key: "ours_capture",
      label: "c. ours-capture (harness, reports: [])",
      async run(dir, logFile) {
        const cfgPath = path.join(dir, "config.json");
        writeFileSync(cfgPath, JSON.stringify(harnessConfig(dir, workloadArgs, []), null, 2));
        const r = await measure(py, [py, "-m", "memray_harness", "--config", cfgPath], { cwd: dir, env: pythonPath, logFile });
        requireOk(this.key, r, logFile);
        requireFiles(this.key, path.join(dir, "out"), ["session.bin", "summary.json"]);
        return { ...r, ...harnessPhases(r) };
      },
    },
    {
      key: "baseline_capture",
      label: "d. baseline-capture (memray run)",
      async run(dir, logFile) {
        const r = await measure(py, [py, "-m", "memray", "run", "--native", "--trace-python-allocators", "-o", "s.bin", WORKLOAD, ...workloadArgs],
          { cwd: dir, env: {}, logFile });
        requireOk(this.key, r, logFile);
        requireFiles(this.key, dir, ["s.bin"]);
        return r;
      },
    },
    {
      key: "bare_python",
      label: "e. bare python",
      async run(dir, logFile) {
        const r = await measure(py, [py, WORKLOAD, ...workloadArgs], { cwd: dir, env: {}, logFile });
        requireOk(this.key, r, logFile);
        return r;
      },
    },
  ];
  if (opts.phases) {
    configs.push({
      key: "ours_harness_full",
      label: "p. ours-harness-full (harness direct, 6 reports; phase split)",
      async run(dir, logFile) {
        const cfgPath = path.join(dir, "config.json");
        writeFileSync(cfgPath, JSON.stringify(harnessConfig(dir, workloadArgs, FULL_REPORTS), null, 2));
        const r = await measure(py, [py, "-m", "memray_harness", "--config", cfgPath], { cwd: dir, env: pythonPath, logFile });
        requireOk(this.key, r, logFile);
        requireFiles(this.key, path.join(dir, "out"), FULL_OUTPUTS);
        return { ...r, ...harnessPhases(r) };
      },
    });
  }
  return configs;
}

function pick(r) {
  return { wall: round(r.wall), user: round(r.user), sys: round(r.sys) };
}

function round(x, digits = 3) {
  return x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;
}

function median(xs) {
  const v = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median of every numeric leaf across samples (same shape). */
function medianTree(samples) {
  const first = samples[0];
  if (typeof first === "number") return round(median(samples));
  if (!first || typeof first !== "object") return undefined;
  const out = {};
  const keys = new Set(samples.flatMap((s) => (s && typeof s === "object" ? Object.keys(s) : [])));
  for (const k of keys) {
    const v = medianTree(samples.map((s) => s?.[k]).filter((x) => x !== undefined));
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function tryExec(file, args) {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function loadSnapshot() {
  return { loadavg: os.loadavg().map((x) => round(x, 2)), uptime: tryExec("uptime", []) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(CLI)) die(`${CLI} is missing: build it with (cd packages/cli && npx tsup)`);
  const pythonVersion = tryExec(opts.python, ["-c", "import platform; print(platform.python_version())"]);
  const memrayVersion = tryExec(opts.python, ["-c", "from memray._version import __version__; print(__version__)"]);
  if (!pythonVersion) die(`${opts.python} does not run`);
  if (!memrayVersion) die(`memray does not import in ${opts.python}`);

  const machine = {
    cores: os.availableParallelism?.() ?? os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    node: process.version,
    python: pythonVersion,
    memray: memrayVersion,
    platform: `${os.platform()} ${os.release()}`,
    load_start: loadSnapshot(),
  };
  const configs = makeConfigs(opts);
  const samples = Object.fromEntries(configs.map((c) => [c.key, []]));
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "memray-bench-"));
  process.stderr.write(`script-mode bench: ${opts.repeat} round(s), workload ${path.relative(ROOT, WORKLOAD)} --allocations ${opts.allocations}, ` +
    `${machine.cores} cores, load ${machine.load_start.loadavg.join(" ")}; temp ${tmpRoot}\n`);

  for (let round_ = 1; round_ <= opts.repeat; round_++) {
    for (const c of configs) {
      const dir = mkdtempSync(path.join(tmpRoot, `${c.key}-${round_}-`));
      const logFile = path.join(dir, "bench.log");
      const load = os.loadavg()[0];
      const r = await c.run(dir, logFile);
      const { events: _events, lines: _lines, ...kept } = r;
      kept.load1_before = round(load, 2);
      samples[c.key].push(kept);
      process.stderr.write(`  round ${round_} ${c.key.padEnd(18)} ${r.wall.toFixed(2).padStart(7)} s wall ` +
        `${(r.user + r.sys).toFixed(2).padStart(7)} s cpu  (load1 ${load.toFixed(2)})\n`);
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!opts.keep) rmSync(tmpRoot, { recursive: true, force: true });
  machine.load_end = loadSnapshot();

  const runs = {};
  for (const c of configs) {
    const s = samples[c.key];
    const entry = {
      wall: round(median(s.map((x) => x.wall))),
      cpu: round(median(s.map((x) => x.user + x.sys))),
      user: round(median(s.map((x) => x.user))),
      sys: round(median(s.map((x) => x.sys))),
      samples_wall: s.map((x) => round(x.wall)),
      samples_cpu: s.map((x) => round(x.user + x.sys)),
      load1_before: s.map((x) => x.load1_before),
    };
    if (s[0].steps) entry.steps = medianTree(s.map((x) => x.steps));
    if (s[0].phases) entry.phases = medianTree(s.map((x) => x.phases));
    if (s[0].reports && Object.keys(s[0].reports).length) entry.reports = medianTree(s.map((x) => x.reports));
    if (c.key === "ours_full") {
      entry.memray_stats = s[s.length - 1].memray_stats;
      entry.harness_duration = round(median(s.map((x) => x.harness_duration)));
      const warnings = [...new Set(s.flatMap((x) => x.warnings))];
      if (warnings.length) entry.warnings = warnings;
    }
    runs[c.key] = entry;
  }

  const ratio = (a, b) => (a && b ? round(a / b) : null);
  const ratios = {
    full: ratio(runs.ours_full.wall, runs.baseline_full.wall),
    capture: ratio(runs.ours_capture.wall, runs.baseline_capture.wall),
    full_cpu: ratio(runs.ours_full.cpu, runs.baseline_full.cpu),
    capture_cpu: ratio(runs.ours_capture.cpu, runs.baseline_capture.cpu),
    baseline_capture_over_bare: ratio(runs.baseline_capture.wall, runs.bare_python.wall),
    full_target: 0.8,
    full_meets_target: runs.ours_full.wall / runs.baseline_full.wall <= 0.8,
  };
  const ph = runs.ours_full.phases;
  if (ph && ph.node_startup !== undefined) {
    // The CLI's own share of run a, from its phase split (Node start-up, Python/memray probes, staging,
    // summary/index rewrite and exit); less noisy than a - p, which compares different runs.
    runs.ours_full.cli_own_seconds = round((ph.node_startup ?? 0) + (ph.probe_and_stage ?? 0) + (ph.summary_index_exit ?? 0));
  }
  if (runs.ours_harness_full) {
    // What the Node CLI adds on top of the harness it runs (start-up, staging, index.html, summary rewrite).
    runs.ours_full.cli_overhead = round(runs.ours_full.wall - runs.ours_harness_full.wall);
  }

  const result = {
    bench: "script-mode",
    timestamp: new Date().toISOString(),
    workload: { path: path.relative(ROOT, WORKLOAD), allocations: opts.allocations },
    repeat: opts.repeat,
    machine,
    runs,
    ratios,
  };
  printTable(result, configs);
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(json + "\n");
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `script-mode-${result.timestamp.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, json + "\n");
  process.stderr.write(`wrote ${path.relative(ROOT, file)}\n`);
}

function printTable(result, configs) {
  const w = process.stderr;
  const { runs, ratios, machine } = result;
  const fmt = (x) => (x === null || x === undefined ? "-" : x.toFixed(2));
  w.write(`\nscript-mode bench: median of ${result.repeat}; ${machine.cores} cores; python ${machine.python}, memray ${machine.memray}, node ${machine.node}\n`);
  w.write(`load start ${machine.load_start.loadavg.join(" ")}  end ${machine.load_end.loadavg.join(" ")}\n`);
  if (runs.ours_full.memray_stats) {
    w.write(`memray recorded ${runs.ours_full.memray_stats.total_allocations} allocations, peak ${runs.ours_full.memray_stats.peak_memory} B\n`);
  }
  w.write(`${"configuration".padEnd(62)} ${"wall s".padStart(8)} ${"cpu s".padStart(8)}\n`);
  for (const c of configs) {
    const r = runs[c.key];
    w.write(`${c.label.padEnd(62)} ${fmt(r.wall).padStart(8)} ${fmt(r.cpu).padStart(8)}\n`);
    if (r.steps) for (const [k, v] of Object.entries(r.steps)) w.write(`${("    " + k).padEnd(62)} ${fmt(v.wall).padStart(8)} ${fmt(v.user + v.sys).padStart(8)}\n`);
    if (r.phases) for (const [k, v] of Object.entries(r.phases)) w.write(`${("    phase " + k).padEnd(62)} ${fmt(v).padStart(8)}\n`);
    if (r.reports) for (const [k, v] of Object.entries(r.reports)) w.write(`${("    report " + k + " (own clock, concurrent)").padEnd(62)} ${fmt(v).padStart(8)}\n`);
  }
  if (runs.ours_full.cli_own_seconds !== undefined) w.write(`${"    Node CLI own time (node_startup + probe_and_stage + summary_index_exit)".padEnd(62).slice(0, 62)} ${fmt(runs.ours_full.cli_own_seconds).padStart(8)}\n`);
  if (runs.ours_full.cli_overhead !== undefined) w.write(`${"    Node CLI overhead (a - p)".padEnd(62)} ${fmt(runs.ours_full.cli_overhead).padStart(8)}\n`);
  w.write(`ratio full    a/b = ${fmt(ratios.full)} (target <= 0.8: ${ratios.full_meets_target ? "met" : "NOT met"}); cpu ${fmt(ratios.full_cpu)}\n`);
  w.write(`ratio capture c/d = ${fmt(ratios.capture)}; cpu ${fmt(ratios.capture_cpu)}\n`);
}

main().catch((err) => {
  process.stderr.write(`script-mode bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
