import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import pc from "picocolors";
import { formatKb, InvalidOptionError, MemrayError, readSummary, RUN_INDEX_FILE, SUMMARY_FILE, type Summary } from "@alpiq/memray-core";

import type { CliIo } from "./cli-io.js";

export interface RunEntry {
  dir: string;
  summary: Summary;
}

/** A directory that holds a summary.json that cannot be read: listed, never hidden. */
export interface BrokenRun {
  dir: string;
  problem: string;
}

/** Every run directory under `root` (newest first), and those whose summary.json is unreadable. */
export async function listRuns(root: string): Promise<{ runs: RunEntry[]; broken: BrokenRun[] }> {
  const info = await stat(root).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new InvalidOptionError(`--out ${root} is a file, not a directory of runs`, { hint: "pass the directory that holds the run directories (default: runs)" });
  }
  const entries = info ? await readdir(root, { withFileTypes: true }) : [];
  const runs: RunEntry[] = [];
  const broken: BrokenRun[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    if (!existsSync(path.join(dir, SUMMARY_FILE))) continue; // not a run directory
    try {
      runs.push({ dir, summary: await readSummary(dir) });
    } catch (error) {
      broken.push({ dir, problem: error instanceof MemrayError ? error.reason : String(error) });
    }
  }
  runs.sort((a, b) => b.summary.timestamp.localeCompare(a.summary.timestamp) || b.dir.localeCompare(a.dir));
  return { runs, broken };
}

function resolveRunDir(run: string, root: string, cwd: string): string {
  for (const candidate of [path.resolve(cwd, run), path.resolve(cwd, root, run)]) {
    if (existsSync(path.join(candidate, "summary.json"))) return candidate;
  }
  throw new InvalidOptionError(`no run "${run}" (looked for ${run}/summary.json and ${root}/${run}/summary.json)`, {
    hint: "list runs with `memray-cli runs list`",
  });
}

export async function runsListCommand(io: CliIo, options: { out: string; json: boolean }): Promise<number> {
  const { runs, broken } = await listRuns(path.resolve(io.cwd, options.out));
  if (options.json) {
    const rows = [
      ...runs.map((run) => ({ run_dir: path.relative(io.cwd, run.dir), summary: run.summary })),
      ...broken.map((run) => ({ run_dir: path.relative(io.cwd, run.dir), summary: null, problem: run.problem })),
    ];
    io.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  for (const { dir, problem } of broken) io.stderr.write(`${pc.yellow("unreadable run")} ${path.relative(io.cwd, dir)}: ${problem}\n`);
  if (!runs.length) {
    io.stderr.write(`no runs under ${options.out}/ yet: try \`memray-cli profile --mode script --script test-cases/example-sequential-requests.py\`\n`);
    return 0;
  }
  for (const { dir, summary } of runs) {
    const status = summary.error ? pc.red("failed") : pc.green("ok");
    const leak = summary.leak_indicators.likely_leak ? pc.red(" likely-leak") : "";
    io.stdout.write(
      `${path.relative(io.cwd, dir)}  ${summary.mode ?? "?"}  ${status}  rss Δ ${formatKb(summary.memory.rss_delta)}${leak}\n`,
    );
  }
  return 0;
}

export async function runsShowCommand(io: CliIo, run: string, options: { out: string; json: boolean }): Promise<number> {
  const dir = resolveRunDir(run, options.out, io.cwd);
  const summary = await readSummary(dir);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ run_dir: path.relative(io.cwd, dir), summary })}\n`);
    return 0;
  }
  const m = summary.memory;
  const lines = [
    pc.bold(summary.run_id),
    `mode ${summary.mode ?? "?"} · script ${summary.script ?? "—"} · ${summary.timestamp} · ${summary.duration_seconds ?? "?"} s`,
    summary.error ? pc.red(`error: ${summary.error}`) : `exit code ${summary.exit_code}`,
    `RSS ${formatKb(m.rss_before)} → ${formatKb(m.rss_after)} (Δ ${formatKb(m.rss_delta)}) · tracemalloc peak ${m.tracemalloc_peak ?? "n/a"} B`,
    `leak: ${summary.leak_indicators.likely_leak ? "likely" : "no"} (monotonic ${summary.leak_indicators.monotonic_growth})`,
    ...summary.top_allocators.slice(0, 5).map((row) => `  ${formatKb(row.size_kb).padStart(10)}  ${row.count.toString().padStart(7)}×  ${row.file}`),
    ...Object.entries(summary.artifacts).map(([key, file]) => `  ${key}: ${String(file)}`),
  ];
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** Open the run's index.html in a browser when one can be started; always print its path. */
export async function runsOpenCommand(io: CliIo, run: string, options: { out: string }): Promise<number> {
  const index = path.join(resolveRunDir(run, options.out, io.cwd), RUN_INDEX_FILE);
  const opener = process.platform === "darwin" ? "open" : "xdg-open";
  const opened = await execa(opener, [index], { reject: false, stdio: "ignore", detached: true }).catch(() => undefined);
  if (!opened || opened.exitCode !== 0) io.stderr.write(`open this file in a browser: ${index}\n`);
  io.stdout.write(`${index}\n`);
  return 0;
}
