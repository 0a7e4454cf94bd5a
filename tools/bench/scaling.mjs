#!/usr/bin/env node
// Scaling curve: `memray-cli profile --mode script` against the same work by hand with memray's CLI,
// on the same workload at growing sizes (default about 1M, 5M and 20M allocations; --gb adds a point
// whose session.bin is at least 1 GB).
//
//   node tools/bench/scaling.mjs [--points 1000000,5000000,20000000] [--gb] [--gb-allocations N]
//                                [--repeat N] [--python python3] [--keep]
//
// Per point and round, ours and the manual sequence run back to back (the order alternates between
// rounds). For each: wall time, CPU of the process tree, session.bin size, and the peak RSS of every
// process started (ours: Node CLI, harness, report engine, its forked readers; manual: memray run,
// each memray flamegraph, memray stats). Table on stderr, JSON on stdout and in tools/bench/results/.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CLI,
  FLAMEGRAPH_VARIANTS,
  HERE,
  RESULTS_DIR,
  ROOT,
  cliPhases,
  cliReportSeconds,
  cliScriptArgv,
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

const WORKLOAD = path.join(HERE, "workloads", "scaling_allocs.py");
const GB = 1e9;

function parseArgs(argv) {
  const opts = { points: [1_000_000, 5_000_000, 20_000_000], gb: false, gbAllocations: 240_000_000, repeat: 1, python: "python3", keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die("scaling", `${a} needs a value`);
      return argv[++i];
    };
    if (a === "--points")
      opts.points = next()
        .split(",")
        .filter(Boolean)
        .map((x) => positiveInt(a, x));
    else if (a === "--gb") opts.gb = true;
    else if (a === "--gb-allocations") {
      opts.gb = true;
      opts.gbAllocations = positiveInt(a, next());
    } else if (a === "--repeat") opts.repeat = positiveInt(a, next());
    else if (a === "--python") opts.python = next();
    else if (a === "--keep") opts.keep = true;
    else if (a === "-h" || a === "--help") {
      process.stderr.write("usage: node tools/bench/scaling.mjs [--points N,N,...] [--gb] [--gb-allocations N] [--repeat N] [--python python3] [--keep]\n");
      process.exit(0);
    } else die("scaling", `unknown argument ${a}`);
  }
  return opts;
}

function positiveInt(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) die("scaling", `${flag} expects positive integers, got ${value}`);
  return n;
}

async function ours(py, allocations, dir) {
  const logFile = path.join(dir, "bench.log");
  const argv = cliScriptArgv({ workload: WORKLOAD, dir, python: py, name: "scaling", args: ["--allocations", String(allocations)] });
  const r = await measure(py, argv, { cwd: dir, env: { NO_COLOR: "1" }, logFile });
  requireOk("ours", r, logFile);
  const runDir = path.join(dir, "runs", readdirSync(path.join(dir, "runs"))[0]);
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8"));
  const peak = peakByRole(r);
  if (summary.memory?.rss_peak) peak.harness = summary.memory.rss_peak; // the profiled process: ru_maxrss
  // The CLI prints each report as `✔ report flamegraph 3.2s` (the harness's own clock, concurrent).
  const reports = cliReportSeconds(r, logFile);
  const phases = cliPhases(r, "until_capture", [
    ["running the script workload", "capture"],
    ["generating ", "reports"],
    ["writing summary.json", "summary_and_exit"],
  ]);
  return {
    wall: r.wall,
    cpu: r.user + r.sys,
    peak_rss_kb: peak,
    reports,
    phases,
    session_bytes: statSync(path.join(runDir, "session.bin")).size,
    allocations: summary.memray_stats?.total_allocations ?? null,
    total_bytes_allocated: summary.memray_stats?.total_bytes_allocated ?? null,
  };
}

async function manual(py, allocations, dir) {
  const logFile = path.join(dir, "bench.log");
  const m = (argv, stdoutFile) => measure(py, argv, { cwd: dir, logFile, stdoutFile });
  const steps = {};
  steps.run = await m([py, "-m", "memray", "run", "--native", "--trace-python-allocators", "-o", "s.bin", WORKLOAD, "--allocations", String(allocations)]);
  for (const [name, flags] of FLAMEGRAPH_VARIANTS) steps[name] = await m([py, "-m", "memray", "flamegraph", ...flags, "-o", `${name}.html`, "s.bin"]);
  steps.stats = await m([py, "-m", "memray", "stats", "s.bin"], path.join(dir, "stats.txt"));
  for (const [name, s] of Object.entries(steps)) requireOk(`manual/${name}`, s, logFile);
  const total = sumSteps(steps);
  return {
    wall: total.wall,
    cpu: total.user + total.sys,
    steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { wall: round(v.wall), max_rss_kb: v.max_rss_kb }])),
    peak_rss_kb: {
      "memray run": steps.run.max_rss_kb,
      "memray flamegraph": Math.max(...FLAMEGRAPH_VARIANTS.map(([n]) => steps[n].max_rss_kb)),
      "memray stats": steps.stats.max_rss_kb,
    },
    session_bytes: statSync(path.join(dir, "s.bin")).size,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(CLI)) die("scaling", `${CLI} is missing: build it with (cd packages/cli && npx tsup)`);
  const machine = machineInfo(opts.python);
  if (!machine.memray) die("scaling", `memray does not import in ${opts.python}`);
  const points = [...opts.points.map((n) => ({ allocations: n, gb: false }))];
  if (opts.gb) points.push({ allocations: opts.gbAllocations, gb: true });
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "memray-scaling-"));
  process.stderr.write(
    `scaling bench: points ${points.map((p) => p.allocations).join(", ")}; ${opts.repeat} round(s); ${machine.cores} cores; ` +
      `load ${machine.load_start.loadavg.join(" ")}; temp ${tmpRoot}\n`,
  );

  const rows = [];
  for (const point of points) {
    const configs = [
      { key: "ours", run: (dir) => ours(opts.python, point.allocations, dir) },
      { key: "manual", run: (dir) => manual(opts.python, point.allocations, dir) },
    ];
    const samples = await sampleRounds(configs, {
      repeat: opts.repeat,
      tmpRoot,
      keep: opts.keep,
      alternate: true,
      prefix: `${point.allocations}-`,
      show: (c, round_, r, load) =>
        process.stderr.write(
          `  ${String(point.allocations).padStart(10)} round ${round_} ${c.key.padEnd(6)} ` +
            `${r.wall.toFixed(1).padStart(7)} s wall ${r.cpu.toFixed(1).padStart(7)} s cpu  session.bin ${(r.session_bytes / 1e6).toFixed(0)} MB  (load1 ${load.toFixed(2)})\n`,
        ),
    });
    const pick = (which, f) => round(median(samples[which].map(f)));
    const peaks = (which) => {
      const out = {};
      for (const s of samples[which]) for (const [k, v] of Object.entries(s.peak_rss_kb)) out[k] = Math.max(out[k] ?? 0, v ?? 0);
      return out;
    };
    const row = {
      allocations_target: point.allocations,
      allocations: samples.ours[0].allocations,
      session_mb: round(median(samples.ours.map((s) => s.session_bytes)) / 1e6, 1),
      session_at_least_1gb: point.gb ? samples.ours.every((s) => s.session_bytes >= GB) && samples.manual.every((s) => s.session_bytes >= GB) : undefined,
      ours: {
        wall: pick("ours", (s) => s.wall),
        cpu: pick("ours", (s) => s.cpu),
        peak_rss_kb: peaks("ours"),
        reports: samples.ours[samples.ours.length - 1].reports,
        phases: samples.ours[samples.ours.length - 1].phases,
        samples_wall: samples.ours.map((s) => round(s.wall)),
        samples_cpu: samples.ours.map((s) => round(s.cpu)),
        load1_before: samples.ours.map((s) => s.load1_before),
      },
      manual: {
        wall: pick("manual", (s) => s.wall),
        cpu: pick("manual", (s) => s.cpu),
        peak_rss_kb: peaks("manual"),
        steps: samples.manual[samples.manual.length - 1].steps,
        samples_wall: samples.manual.map((s) => round(s.wall)),
        samples_cpu: samples.manual.map((s) => round(s.cpu)),
        load1_before: samples.manual.map((s) => s.load1_before),
      },
    };
    row.ratio = round(row.ours.wall / row.manual.wall);
    row.ratio_cpu = round(row.ours.cpu / row.manual.cpu);
    const ourMax = Math.max(...["node-cli", "harness", "report-engine", "report-engine fork", "report-worker"].map((k) => row.ours.peak_rss_kb[k] ?? 0));
    const theirReporters = Math.max(row.manual.peak_rss_kb["memray flamegraph"] ?? 0, row.manual.peak_rss_kb["memray stats"] ?? 0);
    // Our processes that read the capture against memray's reporters on the same file.
    const ourReaders = Math.max(row.ours.peak_rss_kb["report-engine"] ?? 0, row.ours.peak_rss_kb["report-engine fork"] ?? 0);
    row.peak_rss_mb = {
      ours_max_process: round(ourMax / 1024, 1),
      ours_readers: round(ourReaders / 1024, 1),
      memray_reporters: round(theirReporters / 1024, 1),
    };
    row.readers_below_memray_reporters = ourReaders < theirReporters;
    rows.push(row);
  }
  if (!opts.keep) rmSync(tmpRoot, { recursive: true, force: true });
  machine.load_end = loadSnapshot();

  const first = rows[0];
  const growth = rows.map((r) => ({
    allocations: r.allocations_target,
    ours: round(r.ours.wall / first.ours.wall, 2),
    manual: round(r.manual.wall / first.manual.wall, 2),
  }));
  // What each further million allocations costs (seconds per million, wall and CPU) between points:
  // fixed costs (process start-ups) drop out, so this is how each cost grows.
  const marginal = rows.slice(1).map((r, i) => {
    const prev = rows[i];
    const d = ((r.allocations ?? r.allocations_target) - (prev.allocations ?? prev.allocations_target)) / 1e6;
    const seg = {
      from: prev.allocations_target,
      to: r.allocations_target,
      ours_wall: round((r.ours.wall - prev.ours.wall) / d),
      manual_wall: round((r.manual.wall - prev.manual.wall) / d),
      ours_cpu: round((r.ours.cpu - prev.ours.cpu) / d),
      manual_cpu: round((r.manual.cpu - prev.manual.cpu) / d),
    };
    seg.ratio_wall = round(seg.ours_wall / seg.manual_wall);
    seg.ratio_cpu = round(seg.ours_cpu / seg.manual_cpu);
    return seg;
  });
  const result = {
    bench: "scaling",
    timestamp: new Date().toISOString(),
    workload: path.relative(ROOT, WORKLOAD),
    repeat: opts.repeat,
    machine,
    rows,
    growth,
    marginal,
    grows_no_faster: marginal.every((m) => m.ours_wall <= m.manual_wall && m.ours_cpu <= m.manual_cpu),
  };
  printTable(result);
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(json + "\n");
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `scaling-${result.timestamp.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, json + "\n");
  process.stderr.write(`wrote ${path.relative(ROOT, file)}\n`);
}

function printTable(result) {
  const w = process.stderr;
  const { machine } = result;
  w.write(`\nscaling bench: median of ${result.repeat}; ${machine.cores} cores; python ${machine.python}, memray ${machine.memray}, node ${machine.node}\n`);
  w.write(`load start ${machine.load_start.loadavg.join(" ")}  end ${machine.load_end.loadavg.join(" ")}\n`);
  w.write(
    "| allocations | session.bin MB | ours s | manual s | ratio | ratio cpu | ours peak RSS MB (node / harness / engine / fork) | manual peak RSS MB (run / flamegraph / stats) |\n",
  );
  w.write("|---|---|---|---|---|---|---|---|\n");
  const mb = (kb) => (kb ? (kb / 1024).toFixed(0) : "-");
  for (const r of result.rows) {
    const o = r.ours.peak_rss_kb;
    const m = r.manual.peak_rss_kb;
    w.write(
      `| ${r.allocations ?? r.allocations_target} | ${fmt(r.session_mb, 0)} | ${fmt(r.ours.wall, 1)} | ${fmt(r.manual.wall, 1)} | ${fmt(r.ratio)} | ${fmt(r.ratio_cpu)} | ` +
        `${mb(o["node-cli"])} / ${mb(o.harness)} / ${mb(o["report-engine"])} / ${mb(o["report-engine fork"])} | ${mb(m["memray run"])} / ${mb(m["memray flamegraph"])} / ${mb(m["memray stats"])} |\n`,
    );
  }
  w.write(`growth from the first point: ${result.growth.map((g) => `${g.allocations}: ours x${g.ours}, manual x${g.manual}`).join("; ")}\n`);
  for (const m of result.marginal) {
    w.write(
      `marginal cost ${m.from} -> ${m.to}: ours ${fmt(m.ours_wall)} s wall / ${fmt(m.ours_cpu)} s cpu per million allocations, ` +
        `manual ${fmt(m.manual_wall)} / ${fmt(m.manual_cpu)} (ratio ${fmt(m.ratio_wall)} wall, ${fmt(m.ratio_cpu)} cpu)\n`,
    );
  }
  w.write(
    `ours grows no faster than the manual sequence (marginal wall and CPU cost per allocation at most manual's): ${result.grows_no_faster ? "yes" : "NO"}\n`,
  );
  w.write(`our readers' peak RSS below memray's reporters' at every point: ${result.rows.every((r) => r.readers_below_memray_reporters) ? "yes" : "NO"}\n`);
}

main().catch((err) => {
  process.stderr.write(`scaling bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
