import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { fallbackSummary, type Summary, writeSummary } from "@alpiq/memray-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const cliBin = path.join(repoRoot, "packages/cli/dist/bin.js");

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Last stdout line: the run directory by the CLI contract. */
  lastLine: string;
}

/**
 * Run the built CLI as a user would, in `cwd`, with no TTY. `timeoutMs`: a CLI that hangs is killed
 * (SIGTERM, then SIGKILL 2 s later) and the run has exit code -1.
 */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs?: number): Promise<CliRun> {
  const result = await execa(process.execPath, [cliBin, ...args], {
    cwd,
    reject: false,
    env: { NO_COLOR: "1", ...env },
    ...(timeoutMs ? { timeout: timeoutMs, forceKillAfterDelay: 2000 } : {}),
  });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr),
    lastLine: stdout.trim().split("\n").at(-1) ?? "",
  };
}

/** The built CLI started in `cwd` and left running (to be signalled): its exit is the promise's. */
export function startCli(args: string[], cwd: string, env: Record<string, string> = {}): ResultPromise<{ cwd: string; reject: false }> {
  return execa(process.execPath, [cliBin, ...args], { cwd, reject: false, env: { NO_COLOR: "1", ...env } });
}

/** NAME/NAME.py in `cwd` (orphan/orphan.py by default): holds 8 MiB, prints READY, then sleeps for a minute (a run to cut short). */
export async function writeOrphanScript(cwd: string, name = "orphan"): Promise<string> {
  await mkdir(path.join(cwd, name), { recursive: true });
  const script = 'import time\nblob = bytearray(8 * 1024 * 1024)\nprint("READY", flush=True)\nfor _ in range(600):\n    time.sleep(0.1)\n';
  await writeFile(path.join(cwd, name, `${name}.py`), script);
  return `${name}/${name}.py`;
}

export interface ProfiledRun extends CliRun {
  dir: string;
  summary: Summary;
}

/** `memray-cli profile ...` in `cwd`; the run directory (from the last line, or --json's run_dir) and its summary.json. */
export async function profileRun(args: string[], cwd: string, env: Record<string, string> = {}): Promise<ProfiledRun> {
  const run = await runCli(["profile", ...args], cwd, env);
  const dir = path.join(cwd, run.lastLine.startsWith("{") ? JSON.parse(run.lastLine).run_dir : run.lastLine);
  let summary: Summary;
  try {
    summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"));
  } catch (error) {
    throw new Error(`no summary.json after: profile ${args.join(" ")}\nexit ${run.exitCode}\n${run.stderr}`, { cause: error });
  }
  return { ...run, dir, summary };
}

/** runs/NAME in `cwd`, written by hand: a failed script run's summary (a fallback summary: valid, nothing measured). Returns its path. */
export async function handmadeRun(cwd: string, name: string): Promise<string> {
  const dir = path.join(cwd, "runs", name);
  await mkdir(dir, { recursive: true });
  const timestamp = new Date("2026-03-15T14:30:22Z");
  await writeSummary(dir, fallbackSummary({ runId: name, mode: "script", script: "svc.py", timestamp, error: "it broke", errorCode: "HARNESS_FAILED" }));
  return dir;
}

/** A scratch working directory holding a copy of the repository's test-cases/. */
export async function workspaceWithTestCases(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-e2e-"));
  await cp(path.join(repoRoot, "test-cases"), path.join(dir, "test-cases"), { recursive: true });
  return dir;
}
