import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Summary } from "@alpiq/memray-core";
import { expect } from "vitest";

export const MiB = 1024 * 1024;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A valid summary: `mb` MiB allocated and kept (RSS in KB, tracemalloc and memray in bytes). */
export function fakeSummary(mb = 20, overrides: DeepPartial<Summary> & Record<string, unknown> = {}): Summary {
  const base: Summary = {
    run_id: `run-${mb}`,
    script: "workload.py",
    timestamp: "2026-03-15T14:30:22Z",
    exit_code: 0,
    error: null,
    duration_seconds: 1.5,
    memory: {
      rss_before: 30_000,
      rss_after: 30_000 + mb * 1024,
      rss_delta: mb * 1024,
      tracemalloc_current: mb * MiB,
      tracemalloc_peak: mb * MiB + 4096,
      tracemalloc_delta: mb * MiB,
    },
    top_allocators: [
      { file: "workload.py:4", size_kb: mb * 1024, count: 1, function: "allocate" },
      { file: "lib.py:10", size_kb: 2048, count: 5, function: "helper" },
    ],
    requests: [],
    leak_indicators: { rss_growth_mb: null, monotonic_growth: false, likely_leak: false },
    profiling: { memray_enabled: true, native_traces: true, trace_python_allocators: true, python_version: "3.11.7", memray_version: "1.20.0" },
    artifacts: {},
    mode: "script",
    memray_stats: { peak_memory: mb * MiB + 100_000, total_allocations: 700, total_bytes_allocated: null },
  } as Summary;
  return {
    ...base,
    ...overrides,
    memory: { ...base.memory, ...(overrides.memory ?? {}) },
    leak_indicators: { ...base.leak_indicators, ...(overrides.leak_indicators ?? {}) },
    profiling: { ...base.profiling, ...(overrides.profiling ?? {}) },
  } as Summary;
}

export interface FakeTableSite {
  site: string;
  function?: string;
  size_bytes: number;
  count?: number;
}

export function fakeTable(sites: FakeTableSite[], source = "high_watermark"): unknown {
  const full = sites.map((s) => ({ function: "f", count: 1, allocator: "malloc", ...s }));
  return { version: 1, source, total_bytes: full.reduce((t, s) => t + s.size_bytes, 0), sites: full };
}

/** Default table.json sites for `mb` MiB: the workload line plus fixed smaller ones. */
export function fakeTableFor(mb: number): unknown {
  return fakeTable([
    { site: "workload.py:4", function: "allocate", size_bytes: mb * MiB },
    { site: "lib.py:10", function: "helper", size_bytes: 2 * MiB, count: 5 },
    { site: "lib.py:20", function: "tiny", size_bytes: 1000 },
  ]);
}

const created: string[] = [];

export async function tmpDir(prefix = "memray-compare-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Remove every directory made by tmpDir() in this test file (call from afterAll). */
export async function cleanupTmpDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export interface FakeRunFiles {
  summary?: unknown;
  /** Raw text of summary.json (wins over `summary`). */
  summaryText?: string;
  table?: unknown;
  tableText?: string;
  stats?: unknown;
}

/** Write a run directory `name` under `root`; returns its path. */
export async function writeRun(root: string, name: string, files: FakeRunFiles): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  if (files.summaryText !== undefined) await writeFile(path.join(dir, "summary.json"), files.summaryText);
  else if (files.summary !== undefined) await writeFile(path.join(dir, "summary.json"), JSON.stringify(files.summary, null, 2));
  if (files.tableText !== undefined) await writeFile(path.join(dir, "table.json"), files.tableText);
  else if (files.table !== undefined) await writeFile(path.join(dir, "table.json"), JSON.stringify(files.table));
  if (files.stats !== undefined) await writeFile(path.join(dir, "stats.json"), JSON.stringify(files.stats));
  return dir;
}

/** A memory sink for runCompareCommand's io. */
export function captureIo(cwd: string, extra: { isTTY?: boolean; env?: Record<string, string | undefined> } = {}) {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      isTTY: extra.isTTY ?? false,
      env: extra.env ?? {},
      cwd,
    },
  };
}

/** memray-compare refused bad input: exit 2, nothing on stdout, `memray-compare: ...` matching `message` on stderr. */
export function expectBadInput(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^memray-compare: /);
  expect(r.stderr).toMatch(message);
}
