// Shared helpers of the tools/bench benchmarks (plain Node ESM; the harness config comes from the
// workspace's @alpiq/memray-test-support, linked by npm ci).
//
// measure() runs one command under procwatch.py: wall time, CPU of the whole process tree, the exact
// ru_maxrss of the command itself, and the peak RSS (VmHWM) of every process of its tree; it also
// collects the harness's `@memray-harness` progress events (with their arrival time) from stderr.

import { spawn, execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { localHarnessConfig } from "@alpiq/memray-test-support/harness-config";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
export const CLI = path.join(ROOT, "packages", "cli", "dist", "bin.js");
export const PYTHON_DIR = path.join(ROOT, "python");
export const RESULTS_DIR = path.join(HERE, "results");
const PROCWATCH = path.join(HERE, "procwatch.py");
const EVENT_PREFIX = "@memray-harness ";

export const FLAMEGRAPH_VARIANTS = [
  ["flamegraph", []],
  ["leaks", ["--leaks"]],
  ["temporal", ["--temporal"]],
  ["temp-allocs", ["--temporary-allocations"]],
];

/** Run argv under procwatch.py. Resolves {wall, user, sys, exit, max_rss_kb, processes, events, lines, outer_wall}. */
export function measure(python, argv, { cwd, env = {}, logFile, stdoutFile }) {
  return new Promise((resolve, reject) => {
    const resultFile = path.join(cwd, `.measure-${process.hrtime.bigint()}.json`);
    const log = openSync(logFile, "a");
    const out = stdoutFile ? openSync(stdoutFile, "w") : log;
    const started = performance.now();
    const child = spawn(python, [PROCWATCH, resultFile, "--", ...argv], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", out, "pipe"],
    });
    const events = [];
    const lines = [];
    let pending = "";
    const chunks = [];
    child.stderr.on("data", (chunk) => {
      const now = (performance.now() - started) / 1000;
      chunks.push(chunk);
      pending += chunk.toString("utf8");
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push({ t: now, text: line.replace(/\x1b\[[0-9;]*m/g, "") });
        const at = line.indexOf(EVENT_PREFIX);
        if (at >= 0) {
          try {
            events.push({ t: now, ...JSON.parse(line.slice(at + EVENT_PREFIX.length)) });
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
      writeFileSync(log, Buffer.concat(chunks), { flag: "a" });
      closeSync(log);
      if (stdoutFile) closeSync(out);
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

/** The role of a process from its command line (and whether its parent is the report engine). */
export function roleOf(proc, byPid) {
  const cmd = (proc.cmd ?? []).join(" ");
  const parent = byPid.get(proc.ppid);
  const parentCmd = (parent?.cmd ?? []).join(" ");
  if (/memray_harness\.report_engine/.test(cmd)) {
    return /memray_harness\.report_engine/.test(parentCmd) ? "report-engine fork" : "report-engine";
  }
  if (/memray_harness\.report_worker/.test(cmd)) return "report-worker";
  if (/-m memray_harness\b/.test(cmd)) return "harness";
  if (/\bnode\b/.test(path.basename(proc.cmd?.[0] ?? "")) || /bin\.js/.test(cmd)) return "node-cli";
  if (/-m memray run\b/.test(cmd)) return "memray run";
  if (/-m memray flamegraph\b/.test(cmd)) return "memray flamegraph";
  if (/-m memray stats\b/.test(cmd)) return "memray stats";
  if (/\bdocker\b/.test(path.basename(proc.cmd?.[0] ?? ""))) return "docker";
  if (/python[0-9.]*$/.test(path.basename(proc.cmd?.[0] ?? "")) && proc.cmd?.[1] === "-c") return "python -c (probe)";
  return "other";
}

/** {role: max peak RSS in KB} over a measured run's processes, plus exact figures from events. */
export function peakByRole(r) {
  const byPid = new Map((r.processes ?? []).map((p) => [p.pid, p]));
  const out = {};
  for (const p of r.processes ?? []) {
    const role = roleOf(p, byPid);
    out[role] = Math.max(out[role] ?? 0, p.hwm_kb);
  }
  // The engine's forks report their exact ru_maxrss in the report events (wait4 in the engine).
  for (const e of r.events ?? []) {
    if (e.event === "report" && typeof e.max_rss_kb === "number") {
      out["report-engine fork"] = Math.max(out["report-engine fork"] ?? 0, e.max_rss_kb);
    }
  }
  return out;
}

export function round(x, digits = 3) {
  return x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;
}

export function median(xs) {
  const v = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median of every numeric leaf across samples (same shape). */
export function medianTree(samples) {
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

export function sumSteps(steps) {
  const total = { wall: 0, user: 0, sys: 0, exit: 0 };
  for (const s of Object.values(steps)) {
    total.wall += s.wall;
    total.user += s.user;
    total.sys += s.sys;
    if (s.exit !== 0) total.exit = s.exit;
  }
  return total;
}

export function tryExec(file, args) {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function loadSnapshot() {
  return { loadavg: os.loadavg().map((x) => round(x, 2)), uptime: tryExec("uptime", []) };
}

export function machineInfo(python) {
  return {
    cores: os.availableParallelism?.() ?? os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    node: process.version,
    python: tryExec(python, ["-c", "import platform; print(platform.python_version())"]),
    memray: tryExec(python, ["-c", "from memray._version import __version__; print(__version__)"]),
    platform: `${os.platform()} ${os.release()}`,
    load_start: loadSnapshot(),
  };
}

/** argv of `memray-cli profile --mode script` on `workload` (its own args after `--`), runs under dir/runs. */
export function cliScriptArgv({ workload, dir, python, name, args }) {
  return ["node", CLI, "profile", "--mode", "script", "--script", workload, "--out", path.join(dir, "runs"), "--python", python, "--name", name, "--", ...args];
}

/** A complete harness config.json (every key of core's harnessConfigSchema) for a run in `dir`. */
export function harnessConfig({ dir, script, scriptArgs, reports, mode = "script", tracemalloc = false, python = "python3" }) {
  return localHarnessConfig(python, {
    mode,
    run_id: `bench-${path.basename(dir)}`,
    out_dir: path.join(dir, "out"),
    artifact_prefix: "out",
    script_path: script,
    script_args: scriptArgs,
    requests_file: path.join(dir, "requests.json"),
    reports,
    tracemalloc,
  });
}

/**
 * `repeat` rounds over `configs` ({key, run(dir)}), each run in a fresh directory under tmpRoot (named
 * `<prefix><key>-<round>-`, removed afterwards unless `keep`); with `alternate`, even rounds run the
 * configs in reverse order, so that load drift hits them alike. A sample is what run(dir) resolved to,
 * plus load1_before (the 1-minute load average before it); show(config, round, sample, load) prints its
 * line. Returns {key: [sample, ...]}.
 */
export async function sampleRounds(configs, { repeat, tmpRoot, keep, alternate = false, prefix = "", show }) {
  const samples = Object.fromEntries(configs.map((c) => [c.key, []]));
  for (let round_ = 1; round_ <= repeat; round_++) {
    const order = alternate && round_ % 2 === 0 ? [...configs].reverse() : configs;
    for (const c of order) {
      const dir = mkdtempSync(path.join(tmpRoot, `${prefix}${c.key}-${round_}-`));
      const load = os.loadavg()[0];
      const sample = await c.run(dir);
      sample.load1_before = round(load, 2);
      samples[c.key].push(sample);
      show(c, round_, sample, load);
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  }
  return samples;
}

/** Seconds from the command's start to the first event matching pred (outer clock), or undefined. */
export function eventTime(r, pred) {
  const e = r.events.find(pred);
  if (!e) return undefined;
  return e.t - Math.max(0, r.outer_wall - r.wall); // procwatch's own start-up excluded
}

/**
 * The CLI's phases from the times its progress lines appeared: `first` ends at the first mark's line;
 * each mark [line, phase] starts its phase, which ends at the next mark's line (the last one at exit).
 */
export function cliPhases(r, first, marks) {
  const at = (needle) => r.lines.find((l) => l.text.includes(needle))?.t;
  const times = marks.map(([needle]) => at(needle));
  const phases = {};
  if (times[0] !== undefined) phases[first] = times[0] - Math.max(0, r.outer_wall - r.wall);
  marks.forEach(([, phase], i) => {
    const end = i + 1 < marks.length ? times[i + 1] : r.outer_wall;
    if (times[i] !== undefined && end !== undefined) phases[phase] = end - times[i];
  });
  return phases;
}

/** The CLI's per-report lines (`✔ report flamegraph 3.2s`: the harness's own clock, reports run concurrently). */
export function cliReportSeconds(r, logFile) {
  const reports = {};
  for (const l of r.lines) {
    const m = /([✔✘✖]) report (\S+)(?: ([0-9.]+)s)?/.exec(l.text);
    if (!m) continue;
    if (m[1] !== "✔") throw new Error(`report ${m[2]} failed; see ${logFile}`);
    if (m[3] !== undefined) reports[m[2]] = Number(m[3]);
  }
  return reports;
}

export function requireOk(name, r, logFile) {
  if (r.exit !== 0) throw new Error(`${name} exited ${r.exit}; see ${logFile}`);
}

export function fmt(x, digits = 2) {
  return x === null || x === undefined ? "-" : x.toFixed(digits);
}

export function die(bench, message) {
  process.stderr.write(`${bench} bench: ${message}\n`);
  process.exit(2);
}
