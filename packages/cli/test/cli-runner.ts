import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import type { Summary } from "@alpiq/memray-core";

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

/** orphan/orphan.py in `cwd`: holds 8 MiB, prints READY, then sleeps for a minute (a run to cut short). */
export async function writeOrphanScript(cwd: string): Promise<string> {
  await mkdir(path.join(cwd, "orphan"), { recursive: true });
  const script = 'import time\nblob = bytearray(8 * 1024 * 1024)\nprint("READY", flush=True)\nfor _ in range(600):\n    time.sleep(0.1)\n';
  await writeFile(path.join(cwd, "orphan", "orphan.py"), script);
  return "orphan/orphan.py";
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

/** A scratch working directory holding a copy of the repository's test-cases/. */
export async function workspaceWithTestCases(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-cli-e2e-"));
  await cp(path.join(repoRoot, "test-cases"), path.join(dir, "test-cases"), { recursive: true });
  return dir;
}
