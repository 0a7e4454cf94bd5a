#!/usr/bin/env node
// Benchmark of `memray-cli profile --mode script` against doing the same work with memray's own CLI.
//
//   node tools/bench/script-mode.mjs [--repeat N] [--allocations N] [--python python3] [--no-phases]
//                                    [--no-tracemalloc] [--keep]
//
// Plain Node ESM (lib.mjs takes the harness config from the workspace's test-support). Every
// configuration runs --repeat times, each on a fresh temp dir; runs are interleaved (a b c f d e [p] per
// round) so load drift hits all of them alike. The table goes to stderr, one JSON object to stdout and to
// tools/bench/results/script-mode-<timestamp>.json.
// See tools/bench/README.md for what each configuration measures.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CLI,
  FLAMEGRAPH_VARIANTS,
  HERE,
  PYTHON_DIR,
  RESULTS_DIR,
  ROOT,
  cliPhases,
  cliScriptArgv,
  die,
  eventTime,
  fmt,
  harnessConfig,
  loadSnapshot,
  machineInfo,
  measure,
  median,
  medianTree,
  peakByRole,
  requireOk,
  round,
  sampleRounds,
  sumSteps,
} from "./lib.mjs";

const WORKLOAD = path.join(HERE, "workloads", "million_allocs.py");
const FULL_REPORTS = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"];
const FULL_OUTPUTS = ["session.bin", "flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html", "table.txt", "tree.txt", "summary.json"];
const TARGETS = { full: 0.5, capture: 1.3 };

function parseArgs(argv) {
  const opts = { repeat: 3, allocations: 1_000_000, python: "python3", phases: true, tracemalloc: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die("script-mode", `${a} needs a value`);
      return argv[++i];
    };
    if (a === "--repeat") opts.repeat = positiveInt(a, next());
    else if (a === "--allocations") opts.allocations = positiveInt(a, next());
    else if (a === "--python") opts.python = next();
    else if (a === "--no-phases") opts.phases = false;
    else if (a === "--no-tracemalloc") opts.tracemalloc = false;
    else if (a === "--keep") opts.keep = true;
    else if (a === "-h" || a === "--help") {
      process.stderr.write(
        "usage: node tools/bench/script-mode.mjs [--repeat N (3)] [--allocations N (1000000)] [--python python3] " +
          "[--no-phases] [--no-tracemalloc] [--keep]\n",
      );
      process.exit(0);
    } else die("script-mode", `unknown argument ${a}`);
  }
  return opts;
}

function positiveInt(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) die("script-mode", `${flag} must be a positive integer, got ${value}`);
  return n;
}

function requireFiles(name, dir, files) {
  const missing = files.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) throw new Error(`${name}: missing ${missing.join(", ")} in ${dir}`);
}

/**
 * Phase split of a CLI run from its progress lines (`[  1.4s] message` on stderr, arrival times here):
 * start-up + Python/memray probe + staging + harness start-up, capture, reports, summary/index + exit.
 */
function cliRunPhases(r) {
  const phases = cliPhases(r, "node_startup", [
    ["checking Python and memray", "probe_and_stage"],
    ["profiling (script)", "harness_startup"],
    ["running the script workload", "capture"],
    ["generating ", "reports"],
    ["writing summary.json", "summary_index_exit"],
  ]);
  return { phases, reports: reportSeconds(r) };
}

/** The harness's own per-report seconds (report events). */
function reportSeconds(r) {
  const reports = {};
  for (const e of r.events) if (e.event === "report") reports[e.name] = e.seconds;
  return reports;
}

/** Phase split of a direct harness run from its step events (arrival times). */
function harnessPhases(r) {
  const at = (pred) => eventTime(r, pred);
  const tCapture = at((e) => e.event === "step" && e.step === "capture");
  const tDone = at((e) => e.event === "workload-done");
  const tReports = at((e) => e.event === "step" && e.step === "reports");
  const tSummary = at((e) => e.event === "step" && e.step === "summary");
  const phases = {};
  if (tCapture !== undefined) phases.startup = tCapture;
  if (tCapture !== undefined && tDone !== undefined) phases.capture = tDone - tCapture;
  if (tReports !== undefined && tSummary !== undefined) phases.reports = tSummary - tReports;
  if (tSummary !== undefined) phases.summary_and_exit = r.wall - tSummary;
  // The capture as `memray run` would be timed: from the process start to the end of tracking.
  return { phases, reports: reportSeconds(r), capture_window: tDone ?? null };
}

function makeConfigs(opts) {
  const py = opts.python;
  const workloadArgs = ["--allocations", String(opts.allocations)];
  const pythonPath = { PYTHONPATH: PYTHON_DIR + (process.env.PYTHONPATH ? path.delimiter + process.env.PYTHONPATH : "") };
  const harnessRun = (key, reports, tracemalloc, outputs) =>
    async function run(dir, logFile) {
      const cfgPath = path.join(dir, "config.json");
      writeFileSync(cfgPath, JSON.stringify(harnessConfig({ dir, script: WORKLOAD, scriptArgs: workloadArgs, reports, tracemalloc, python: py }), null, 2));
      const r = await measure(py, [py, "-m", "memray_harness", "--config", cfgPath], { cwd: dir, env: pythonPath, logFile });
      requireOk(key, r, logFile);
      requireFiles(key, path.join(dir, "out"), outputs);
      const summary = JSON.parse(readFileSync(path.join(dir, "out", "summary.json"), "utf8"));
      return { ...r, ...harnessPhases(r), memory: summary.memory, memray_stats: summary.memray_stats ?? null };
    };
  const configs = [
    {
      key: "ours_full",
      label: "a. ours-full (CLI: capture + 6 reports + summary)",
      async run(dir, logFile) {
        const argv = cliScriptArgv({ workload: WORKLOAD, dir, python: py, name: "bench", args: workloadArgs });
        const r = await measure(py, argv, { cwd: dir, env: { NO_COLOR: "1" }, logFile });
        requireOk(this.key, r, logFile);
        const runs = readdirSync(path.join(dir, "runs"));
        if (runs.length !== 1) throw new Error(`ours_full: expected one run dir, got ${runs.join(", ")}`);
        const runDir = path.join(dir, "runs", runs[0]);
        requireFiles(this.key, runDir, FULL_OUTPUTS);
        const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8"));
        const peak = peakByRole(r);
        // The harness process is the profiled process: its own peak is in the summary (ru_maxrss).
        if (summary.memory?.rss_peak) peak.harness = summary.memory.rss_peak;
        return {
          ...r,
          ...cliRunPhases(r),
          peak_rss_kb: peak,
          memray_stats: summary.memray_stats ?? null,
          memory: summary.memory,
          warnings: summary.warnings ?? [],
          harness_duration: summary.duration_seconds ?? null,
        };
      },
    },
    {
      key: "baseline_full",
      label: "b. baseline-full (memray run + 4 flamegraphs + stats)",
      async run(dir, logFile) {
        const steps = {};
        const m = (argv) => measure(py, argv, { cwd: dir, logFile });
        steps.run = await m([py, "-m", "memray", "run", "--native", "--trace-python-allocators", "-o", "s.bin", WORKLOAD, ...workloadArgs]);
        for (const [name, flags] of FLAMEGRAPH_VARIANTS) {
          steps[name] = await m([py, "-m", "memray", "flamegraph", ...flags, "-o", `${name}.html`, "s.bin"]);
        }
        // `memray stats` prints to stdout, which measure() sends to the log file (redirected).
        steps.stats = await m([py, "-m", "memray", "stats", "s.bin"]);
        const total = sumSteps(steps);
        for (const [name, s] of Object.entries(steps)) requireOk(`${this.key}/${name}`, s, logFile);
        requireFiles(this.key, dir, ["s.bin", "flamegraph.html", "leaks.html", "temporal.html", "temp-allocs.html"]);
        // Each step is one process: wait4's ru_maxrss is its exact peak.
        const peak = {
          "memray run": steps.run.max_rss_kb,
          "memray flamegraph": Math.max(...FLAMEGRAPH_VARIANTS.map(([n]) => steps[n].max_rss_kb)),
          "memray stats": steps.stats.max_rss_kb,
        };
        return { ...total, peak_rss_kb: peak, steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, pick(v)])) };
      },
    },
    {
      key: "ours_capture",
      label: "c. ours-capture (harness, reports: [], derived tracemalloc)",
      run: harnessRun("ours_capture", [], false, ["session.bin", "summary.json"]),
    },
  ];
  if (opts.tracemalloc) {
    configs.push({
      key: "ours_capture_tracemalloc",
      label: "f. ours-capture --tracemalloc (tracemalloc beside memray)",
      run: harnessRun("ours_capture_tracemalloc", [], true, ["session.bin", "summary.json"]),
    });
  }
  configs.push(
    {
      key: "baseline_capture",
      label: "d. baseline-capture (memray run)",
      async run(dir, logFile) {
        const r = await measure(py, [py, "-m", "memray", "run", "--native", "--trace-python-allocators", "-o", "s.bin", WORKLOAD, ...workloadArgs], {
          cwd: dir,
          logFile,
        });
        requireOk(this.key, r, logFile);
        requireFiles(this.key, dir, ["s.bin"]);
        return r;
      },
    },
    {
      key: "bare_python",
      label: "e. bare python",
      async run(dir, logFile) {
        const r = await measure(py, [py, WORKLOAD, ...workloadArgs], { cwd: dir, logFile });
        requireOk(this.key, r, logFile);
        return r;
      },
    },
  );
  if (opts.phases) {
    configs.push({
      key: "ours_harness_full",
      label: "p. ours-harness-full (harness direct, 6 reports; phase split)",
      run: harnessRun("ours_harness_full", FULL_REPORTS, false, FULL_OUTPUTS),
    });
  }
  return configs;
}

function pick(r) {
  return { wall: round(r.wall), user: round(r.user), sys: round(r.sys), max_rss_kb: r.max_rss_kb ?? null };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(CLI)) die("script-mode", `${CLI} is missing: build it with (cd packages/cli && npx tsup)`);
  const machine = machineInfo(opts.python);
  if (!machine.python) die("script-mode", `${opts.python} does not run`);
  if (!machine.memray) die("script-mode", `memray does not import in ${opts.python}`);

  const configs = makeConfigs(opts);
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "memray-bench-"));
  process.stderr.write(
    `script-mode bench: ${opts.repeat} round(s), workload ${path.relative(ROOT, WORKLOAD)} --allocations ${opts.allocations}, ` +
      `${machine.cores} cores, load ${machine.load_start.loadavg.join(" ")}; temp ${tmpRoot}\n`,
  );

  // A sample keeps the measured figures, not the events, output lines and processes behind them.
  const keepFigures = (c) => ({
    ...c,
    run: async (dir) => {
      const { events: _events, lines: _lines, processes: _processes, ...kept } = await c.run(dir, path.join(dir, "bench.log"));
      return kept;
    },
  });
  const samples = await sampleRounds(configs.map(keepFigures), {
    repeat: opts.repeat,
    tmpRoot,
    keep: opts.keep,
    show: (c, round_, r, load) => {
      const window = r.capture_window !== undefined && r.capture_window !== null ? `  capture window ${r.capture_window.toFixed(2)} s` : "";
      process.stderr.write(
        `  round ${round_} ${c.key.padEnd(24)} ${r.wall.toFixed(2).padStart(7)} s wall ` +
          `${(r.user + r.sys).toFixed(2).padStart(7)} s cpu  (load1 ${load.toFixed(2)})${window}\n`,
      );
    },
  });
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
    if (s[0].capture_window !== undefined) {
      entry.capture_window = round(median(s.map((x) => x.capture_window)));
      entry.samples_capture_window = s.map((x) => round(x.capture_window));
    }
    if (s[0].steps) entry.steps = medianTree(s.map((x) => x.steps));
    if (s[0].phases) entry.phases = medianTree(s.map((x) => x.phases));
    if (s[0].reports && Object.keys(s[0].reports).length) entry.reports = medianTree(s.map((x) => x.reports));
    if (s[0].peak_rss_kb) entry.peak_rss_kb = medianTree(s.map((x) => x.peak_rss_kb));
    if (s[0].memray_stats) entry.memray_stats = s[s.length - 1].memray_stats;
    if (s[0].memory) entry.memory = s[s.length - 1].memory;
    if (c.key === "ours_full") {
      entry.harness_duration = round(median(s.map((x) => x.harness_duration)));
      const warnings = [...new Set(s.flatMap((x) => x.warnings))];
      if (warnings.length) entry.warnings = warnings;
    }
    runs[c.key] = entry;
  }

  const ratio = (a, b) => (a && b ? round(a / b) : null);
  const ratios = {
    full: ratio(runs.ours_full.wall, runs.baseline_full.wall),
    full_cpu: ratio(runs.ours_full.cpu, runs.baseline_full.cpu),
    capture: ratio(runs.ours_capture.capture_window, runs.baseline_capture.wall),
    // The whole harness process minus its summary-reads phase: start-up, capture, summary write and exit.
    capture_process:
      runs.ours_capture.phases?.reports !== undefined ? ratio(runs.ours_capture.wall - runs.ours_capture.phases.reports, runs.baseline_capture.wall) : null,
    capture_with_summary_reads: ratio(runs.ours_capture.wall, runs.baseline_capture.wall),
    capture_cpu: ratio(runs.ours_capture.cpu, runs.baseline_capture.cpu),
    capture_tracemalloc: runs.ours_capture_tracemalloc ? ratio(runs.ours_capture_tracemalloc.capture_window, runs.baseline_capture.wall) : null,
    baseline_capture_over_bare: ratio(runs.baseline_capture.wall, runs.bare_python.wall),
    targets: TARGETS,
  };
  ratios.full_meets_target = ratios.full !== null && ratios.full <= TARGETS.full;
  ratios.capture_meets_target = ratios.capture !== null && ratios.capture <= TARGETS.capture;
  // Per-round ratios (paired: the same round's a and b ran back to back).
  ratios.full_by_round = samples.ours_full.map((x, i) => ratio(x.wall, samples.baseline_full[i]?.wall));
  ratios.capture_by_round = samples.ours_capture.map((x, i) => ratio(x.capture_window, samples.baseline_capture[i]?.wall));
  const ph = runs.ours_full.phases;
  if (ph && ph.node_startup !== undefined) {
    runs.ours_full.cli_own_seconds = round((ph.node_startup ?? 0) + (ph.probe_and_stage ?? 0) + (ph.summary_index_exit ?? 0));
  }
  if (runs.ours_harness_full) runs.ours_full.cli_overhead = round(runs.ours_full.wall - runs.ours_harness_full.wall);

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
  w.write(
    `\nscript-mode bench: median of ${result.repeat}; ${machine.cores} cores; python ${machine.python}, memray ${machine.memray}, node ${machine.node}\n`,
  );
  w.write(`load start ${machine.load_start.loadavg.join(" ")}  end ${machine.load_end.loadavg.join(" ")}\n`);
  if (runs.ours_full.memray_stats) {
    const s = runs.ours_full.memray_stats;
    w.write(`memray recorded ${s.total_allocations} allocations (${s.total_bytes_allocated} bytes), peak ${s.peak_memory} B\n`);
  }
  w.write(`${"configuration".padEnd(64)} ${"wall s".padStart(8)} ${"cpu s".padStart(8)}\n`);
  for (const c of configs) {
    const r = runs[c.key];
    w.write(`${c.label.padEnd(64)} ${fmt(r.wall).padStart(8)} ${fmt(r.cpu).padStart(8)}\n`);
    if (r.capture_window !== undefined) w.write(`${"    capture window (start .. workload-done)".padEnd(64)} ${fmt(r.capture_window).padStart(8)}\n`);
    if (r.steps)
      for (const [k, v] of Object.entries(r.steps)) w.write(`${("    " + k).padEnd(64)} ${fmt(v.wall).padStart(8)} ${fmt(v.user + v.sys).padStart(8)}\n`);
    if (r.phases) for (const [k, v] of Object.entries(r.phases)) w.write(`${("    phase " + k).padEnd(64)} ${fmt(v).padStart(8)}\n`);
    if (r.reports)
      for (const [k, v] of Object.entries(r.reports)) w.write(`${("    report " + k + " (own clock, concurrent)").padEnd(64)} ${fmt(v).padStart(8)}\n`);
    if (r.peak_rss_kb)
      w.write(
        `${"    peak RSS MB by process".padEnd(64)} ${Object.entries(r.peak_rss_kb)
          .map(([k, v]) => `${k} ${fmt(v / 1024, 0)}`)
          .join(", ")}\n`,
      );
  }
  if (runs.ours_full.cli_own_seconds !== undefined)
    w.write(`${"    Node CLI own time (start-up + probe/stage + summary/index/exit)".padEnd(64)} ${fmt(runs.ours_full.cli_own_seconds).padStart(8)}\n`);
  w.write(
    `ratio full            a/b = ${fmt(ratios.full)} (target <= ${TARGETS.full}: ${ratios.full_meets_target ? "met" : "NOT met"}); cpu ${fmt(ratios.full_cpu)}; by round ${ratios.full_by_round.map((x) => fmt(x)).join(" ")}\n`,
  );
  w.write(
    `ratio capture         c/d = ${fmt(ratios.capture)} (capture window; target <= ${TARGETS.capture}: ${ratios.capture_meets_target ? "met" : "NOT met"}); by round ${ratios.capture_by_round.map((x) => fmt(x)).join(" ")}\n`,
  );
  if (ratios.capture_process !== null) w.write(`ratio capture process (c total - its summary-reads phase)/d = ${fmt(ratios.capture_process)}\n`);
  w.write(`ratio capture + the summary's reads of session.bin (c total)/d = ${fmt(ratios.capture_with_summary_reads)}\n`);
  if (ratios.capture_tracemalloc !== null)
    w.write(`ratio capture with tracemalloc beside memray f/d = ${fmt(ratios.capture_tracemalloc)} (the design before)\n`);
}

main().catch((err) => {
  process.stderr.write(`script-mode bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
