import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import pc from "picocolors";
import { formatBytes, formatKb, InvalidOptionError, readSummary, RUN_INDEX_FILE, SUMMARY_FILE, visibleText, type RunsListOutput } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { openInBrowser } from "./open-in-browser.js";
import { formatRunDate, leakVerdict, listRuns, RUN_COLUMNS, runRowCells, targetLabel, toRunRow } from "./run-rows.js";

export { listRuns, type RunEntry, type BrokenRun } from "./run-rows.js";

export interface RunsOptions {
  out: string;
  json: boolean;
}

/** The word that names the newest run under --out. */
export const LATEST_RUN = "latest";

/** A run named by its directory (relative to the working directory), by its name under --out, or `latest`. */
export async function resolveRunDir(run: string, root: string, cwd: string, signal?: AbortSignal): Promise<string> {
  for (const candidate of [path.resolve(cwd, run), path.resolve(cwd, root, run)]) {
    if (existsSync(path.join(candidate, SUMMARY_FILE))) return candidate;
  }
  if (run === LATEST_RUN) {
    const newest = (await listRuns(path.resolve(cwd, root), { signal })).runs[0];
    if (newest) return newest.dir;
    throw new InvalidOptionError(`no runs under ${root}/ yet, so no latest run`, {
      hint: "profile something first: memray-cli profile --script test-cases/example-sequential-requests.py",
    });
  }
  throw new InvalidOptionError(`no run "${run}" (looked for ${run}/summary.json and ${root}/${run}/summary.json)`, {
    hint: "list runs with `memray-cli runs list`; `latest` names the newest",
  });
}

/** Pad cells to aligned columns (widths measured without colour codes). */
function alignedTable(header: readonly string[], rows: readonly string[][], colour: (row: number, column: number, text: string) => string): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[], paint: (column: number, text: string) => string) =>
    cells
      .map((cell, column) => paint(column, column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(header, (_, text) => pc.bold(text)), ...rows.map((row, index) => line(row, (column, text) => colour(index, column, text)))].join("\n");
}

/** `runs list`: an aligned table, newest first (--json: core's runsListOutputSchema; --quiet: the run directories). */
export async function runsListCommand(io: CliIo, options: RunsOptions): Promise<number> {
  const root = path.resolve(io.cwd, options.out);
  const { runs, broken } = await listRuns(root, { signal: io.signal });
  const rows = runs.map((run) => toRunRow(run, io.cwd));
  if (options.json) {
    const output: RunsListOutput = {
      runs_dir: path.relative(io.cwd, root) || ".",
      runs: rows,
      unreadable: broken.map((run) => ({ run_dir: path.relative(io.cwd, run.dir), problem: run.problem })),
    };
    io.stdout.write(`${JSON.stringify(output)}\n`);
    return 0;
  }
  for (const { dir, problem } of broken) io.stderr.write(`${pc.yellow("unreadable run")} ${visibleText(`${path.relative(io.cwd, dir)}: ${problem}`)}\n`);
  if (io.quiet) {
    for (const row of rows) io.stdout.write(`${row.run_dir}\n`);
    return 0;
  }
  if (!rows.length) {
    io.stderr.write(`no runs under ${options.out}/ yet: try \`memray-cli profile --mode script --script test-cases/example-sequential-requests.py\`\n`);
    return 0;
  }
  const cells = rows.map(runRowCells);
  const verdictColumn = RUN_COLUMNS.indexOf("leak verdict");
  const table = alignedTable(RUN_COLUMNS, cells, (index, column, text) => {
    if (column !== verdictColumn) return text;
    const row = rows[index]!;
    if (row.status === "failed" || row.leak_verdict === "likely leak") return pc.red(text);
    return row.leak_verdict === "no leak" ? pc.green(text) : text;
  });
  io.stdout.write(`${table}\n`);
  return 0;
}

/** `runs show`: the key numbers of one run and its files (text from the run through visibleText; --json as read). */
export async function runsShowCommand(io: CliIo, run: string, options: RunsOptions): Promise<number> {
  const dir = await resolveRunDir(run, options.out, io.cwd, io.signal);
  const summary = await readSummary(dir, { signal: io.signal });
  const files = (await readdir(dir)).sort();
  const runDir = path.relative(io.cwd, dir) || ".";
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ run_dir: runDir, summary, files })}\n`);
    return 0;
  }
  if (io.quiet) {
    io.stdout.write(`${runDir}\n`);
    return 0;
  }
  const m = summary.memory;
  const leak = summary.leak_indicators;
  const v = visibleText;
  const lines = [
    pc.bold(v(summary.run_id)),
    v(
      `mode ${summary.mode ?? "?"} · target ${targetLabel(summary) ?? "?"} · script ${summary.script ?? "—"} · ${formatRunDate(summary.timestamp)} · ${summary.duration_seconds ?? "?"} s`,
    ),
    summary.error ? pc.red(`error: ${v(summary.error)}`) : `exit code ${summary.exit_code}`,
    `RSS ${formatKb(m.rss_before)} → ${formatKb(m.rss_after)} (Δ ${formatKb(m.rss_delta)}) · tracemalloc peak ${formatBytes(m.tracemalloc_peak)} · memray peak ${formatBytes(summary.memray_stats?.peak_memory ?? null)}`,
    `leak: ${leakVerdict(summary)} (monotonic growth ${leak.monotonic_growth}${typeof leak.reason === "string" ? `; ${v(leak.reason)}` : ""})`,
    ...(summary.requests.length ? [`${summary.requests.length} requests: RSS after ${summary.requests.map((r) => formatKb(r.rss_after)).join(", ")}`] : []),
    ...(summary.top_allocators.length ? ["top allocators:"] : []),
    ...summary.top_allocators.slice(0, 5).map((row) => `  ${formatKb(row.size_kb).padStart(10)}  ${row.count.toString().padStart(7)}×  ${v(row.file)}`),
    "files:",
    ...files.map((file) => `  ${v(path.join(runDir, file))}`),
  ];
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** `runs open`: the run's index.html in a browser when one can be started; its path is always the last line. */
export async function runsOpenCommand(io: CliIo, run: string, options: RunsOptions): Promise<number> {
  const dir = await resolveRunDir(run, options.out, io.cwd, io.signal);
  const index = path.join(dir, RUN_INDEX_FILE);
  const opened = await openInBrowser(index);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ run_dir: path.relative(io.cwd, dir) || ".", index, opened })}\n`);
    return 0;
  }
  if (!opened) io.stderr.write(`open this file in a browser: ${index}\n`);
  io.stdout.write(`${index}\n`);
  return 0;
}
