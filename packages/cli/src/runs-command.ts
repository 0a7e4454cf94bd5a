import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import pc from "picocolors";
import { formatKb, InvalidOptionError, readSummary, RUN_INDEX_FILE, type Summary } from "@alpiq/memray-core";

import type { CliIo } from "./cli-io.js";

export interface RunEntry {
  dir: string;
  summary: Summary;
}

/** Every run directory under `root` with a readable summary.json, newest first. */
export async function listRuns(root: string): Promise<RunEntry[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const runs: RunEntry[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    try {
      runs.push({ dir, summary: await readSummary(dir) });
    } catch {
      // Not a run directory, or a run still being written.
    }
  }
  return runs.sort((a, b) => b.summary.timestamp.localeCompare(a.summary.timestamp) || b.dir.localeCompare(a.dir));
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
  const runs = await listRuns(path.resolve(io.cwd, options.out));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(runs.map((run) => ({ run_dir: path.relative(io.cwd, run.dir), summary: run.summary })))}\n`);
    return 0;
  }
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
