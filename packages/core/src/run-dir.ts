import { access, constants, mkdir } from "node:fs/promises";
import path from "node:path";
import { OutputDirNotWritableError, RunNameTooLongError } from "./errors.js";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** `YYYYMMDD-HHMMSS` in UTC, the seed's run directory timestamp. */
export function formatRunTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `-${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

/**
 * The longest run name: the run directory adds `-YYYYMMDD-HHMMSS` (16) and at most `-1000` (5) to it,
 * and a file name has at most 255 bytes; a sanitised name is ASCII, one byte per character. 200 keeps
 * a margin under that 234.
 */
export const MAX_RUN_NAME_LENGTH = 200;

/** A name usable in a directory name: the script stem or user name, stripped of odd characters. */
export function sanitizeRunName(name: string): string {
  const cleaned = name
    .replace(/\.py$/i, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return cleaned || "run";
}

export interface RunDir {
  runId: string;
  /** Absolute path of the run directory. */
  path: string;
  /** The run directory as written in summary.json artifacts (`runs/<run_id>` by default). */
  artifactPrefix: string;
}

/**
 * The run directory `dir` (absolute) as a RunDir: its name is the run id; its artifact prefix is the path
 * relative to `cwd` with forward slashes, or `dir` itself when it lies outside `cwd`.
 */
export function runDirAt(dir: string, cwd: string): RunDir {
  const relative = path.relative(cwd, dir);
  const artifactPrefix = relative.startsWith("..") || path.isAbsolute(relative) ? dir : relative.split(path.sep).join("/");
  return { runId: path.basename(dir), path: dir, artifactPrefix };
}

export interface CreateRunDirOptions {
  /** Parent directory, default `runs` under cwd. */
  outRoot?: string;
  name: string;
  clock?: Clock;
  cwd?: string;
}

/**
 * Create `runs/<name>-<YYYYMMDD-HHMMSS>` atomically; a second run in the same second gets a
 * `-2`, `-3`, ... suffix (mkdir without `recursive` fails on an existing directory). A name longer
 * than MAX_RUN_NAME_LENGTH (after sanitising) is refused with RunNameTooLongError; a path the file
 * system refuses (a symbolic link loop, a name too long) is an OutputDirNotWritableError that says so.
 */
export async function createRunDir(options: CreateRunDirOptions): Promise<RunDir> {
  const cwd = options.cwd ?? process.cwd();
  const name = sanitizeRunName(options.name);
  if (name.length > MAX_RUN_NAME_LENGTH) throw new RunNameTooLongError(name, MAX_RUN_NAME_LENGTH);
  const outRoot = path.resolve(cwd, options.outRoot ?? "runs");
  try {
    await mkdir(outRoot, { recursive: true });
    await access(outRoot, constants.W_OK);
  } catch (error) {
    throw new OutputDirNotWritableError(outRoot, error);
  }
  const base = `${name}-${formatRunTimestamp((options.clock ?? systemClock).now())}`;
  for (let attempt = 1; attempt <= 1000; attempt++) {
    const runId = attempt === 1 ? base : `${base}-${attempt}`;
    const dir = path.join(outRoot, runId);
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw new OutputDirNotWritableError(outRoot, error);
    }
    return runDirAt(dir, cwd);
  }
  throw new OutputDirNotWritableError(outRoot, new Error("more than 1000 runs with the same name in one second"));
}
