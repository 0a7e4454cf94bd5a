import { constants } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import path from "node:path";
import { artifactFile, SUMMARY_FILE } from "./artifact-table.js";
import { MemrayError, RunFileError } from "./errors.js";
import { formatBytes } from "./format-size.js";
import { fsErrorText } from "./message-parts.js";

const MiB = 1024 * 1024;

/**
 * The most memray-cli reads into memory of each run file it parses (JSON.parse takes several times the
 * file's size). summary.json: the harness merges up to 64 MB of the script's per-request data into it
 * (the requests file's own bound), so a smaller bound would refuse summaries the harness writes.
 * table.json: one row per allocation site (100 000 sites are ~20 MB). stats.json: memray's histogram
 * and top allocations (kilobytes). Any other file read whole: DEFAULT_RUN_FILE_BOUND. Files that are
 * streamed (the run browser's reports) are not read into memory and have no bound.
 */
export const RUN_FILE_BOUNDS: Readonly<Record<string, number>> = {
  [SUMMARY_FILE]: 64 * MiB,
  [artifactFile("table_json")]: 64 * MiB,
  [artifactFile("stats_json")]: 16 * MiB,
};

/** The bound of a run file that has no row in RUN_FILE_BOUNDS. */
export const DEFAULT_RUN_FILE_BOUND = 16 * MiB;

/** The bound of `file` (by its name): its row in RUN_FILE_BOUNDS, else DEFAULT_RUN_FILE_BOUND. */
export function runFileBound(file: string): number {
  return RUN_FILE_BOUNDS[path.basename(file)] ?? DEFAULT_RUN_FILE_BOUND;
}

export interface OpenRunFileOptions {
  /** Aborts before the open and between reads (Ctrl-C): the error is INTERRUPTED, or TERMINATED for a "SIGTERM" reason. */
  signal?: AbortSignal | undefined;
  /**
   * A directory (its real path) the file must be inside once every symbolic link is resolved: a link
   * that leads out of it is refused ("outside"), and the real path is opened without following links.
   */
  within?: string | undefined;
}

export interface ReadRunFileOptions extends OpenRunFileOptions {
  /** The most bytes read; a larger file is refused, never read. Default: runFileBound(file). */
  maxBytes?: number | undefined;
}

/** An open regular file of a run: close `handle` when done. */
export interface OpenedRunFile {
  handle: FileHandle;
  /** What was opened: the real path with `within`, else the path as given. */
  path: string;
  size: number;
}

/** What a file is when it is not a regular file, in words. */
export function fileKind(info: Stats): string {
  if (info.isFIFO()) return "a FIFO (named pipe)";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isDirectory()) return "a directory";
  if (info.isSymbolicLink()) return "a symbolic link";
  return info.isFile() ? "a regular file" : "not a regular file";
}

/** The error of an aborted read: Ctrl-C (130) unless the reason says SIGTERM (143). */
function aborted(signal: AbortSignal, file: string): MemrayError {
  const code = signal.reason === "SIGTERM" ? "TERMINATED" : "INTERRUPTED";
  return new MemrayError(code, `stopped while reading ${file}`, { cause: signal.reason });
}

function checkAborted(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw aborted(signal, file);
}

function failure(file: string, error: unknown): RunFileError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new RunFileError(file, "missing", `${file} does not exist`, { cause: error, hint: "pass a run directory written by memray-cli" });
  if (code === "ENXIO")
    return new RunFileError(file, "not-regular", `${file} is a socket or a device, not a regular file`, { cause: error, hint: NOT_REGULAR_HINT });
  const why = fsErrorText(error) || (error instanceof Error ? error.message : String(error));
  const hint = code === "ELOOP" ? "remove or fix the symbolic link loop" : undefined;
  return new RunFileError(file, "unreadable", `Cannot read ${file}: ${why}`, { cause: error, ...(hint ? { hint } : {}) });
}

const NOT_REGULAR_HINT = "a run's files are regular files written by memray-cli: remove or replace this one";

/**
 * Open a file of a run directory for reading, safely: it must be a regular file (a FIFO, socket, device
 * or directory is refused with RunFileError "not-regular" before anything could block on it); the open
 * itself uses O_NONBLOCK, so a FIFO swapped in after the check never blocks it, and the open file is
 * checked again (fstat). With `within`, the real path must lie inside that directory.
 */
export async function openRunFile(file: string, options: OpenRunFileOptions = {}): Promise<OpenedRunFile> {
  const { signal, within } = options;
  checkAborted(signal, file);
  let target = file;
  if (within !== undefined) {
    target = await realpath(file).catch((error: unknown) => {
      throw failure(file, error);
    });
    const relative = path.relative(within, target);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new RunFileError(file, "outside", `${file} leads outside ${within} (to ${target})`, {
        hint: "only files inside the runs directory are read; remove the symbolic link",
      });
    }
  }
  const info = await stat(target).catch((error: unknown) => {
    throw failure(file, error);
  });
  if (!info.isFile()) throw new RunFileError(file, "not-regular", `${file} is ${fileKind(info)}, not a regular file`, { hint: NOT_REGULAR_HINT });
  checkAborted(signal, file);
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (within !== undefined ? constants.O_NOFOLLOW : 0);
  const handle = await open(target, flags).catch((error: unknown) => {
    throw failure(file, error);
  });
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw new RunFileError(file, "not-regular", `${file} is ${fileKind(opened)}, not a regular file`, { hint: NOT_REGULAR_HINT });
    return { handle, path: target, size: opened.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Bytes read per call: an abort is noticed between them. */
const CHUNK = 4 * MiB;

function tooLarge(file: string, size: number | string, maxBytes: number): RunFileError {
  const bound = formatBytes(maxBytes);
  const shown = typeof size === "number" ? `${formatBytes(size)} (${size} bytes)` : size;
  return new RunFileError(file, "too-large", `${file} is ${shown}, over the ${bound} bound for ${path.basename(file)}`, {
    hint: `memray-cli reads at most ${bound} of ${path.basename(file)} (RUN_FILE_BOUNDS in @alpiq/memray-core): regenerate the run, or move the file away`,
  });
}

/**
 * Check a file of a run directory without reading it: what readRunFile would refuse (not a regular
 * file, over its bound, outside `within`) is thrown the same way; returns its size.
 */
export async function checkRunFile(file: string, options: ReadRunFileOptions = {}): Promise<number> {
  const maxBytes = options.maxBytes ?? runFileBound(file);
  const opened = await openRunFile(file, options);
  try {
    if (opened.size > maxBytes) throw tooLarge(file, opened.size, maxBytes);
    return opened.size;
  } finally {
    await opened.handle.close();
  }
}

/**
 * Read a whole file of a run directory: a regular file (see openRunFile) of at most `maxBytes`
 * (default: its row in RUN_FILE_BOUNDS). A larger file is refused with a RunFileError naming its size
 * and the bound, before a byte is read; a file that grows past the bound while it is read likewise.
 */
export async function readRunFile(file: string, options: ReadRunFileOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? runFileBound(file);
  const opened = await openRunFile(file, options);
  try {
    if (opened.size > maxBytes) throw tooLarge(file, opened.size, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    // The first buffer holds the whole file as fstat saw it; more is read only if it grew.
    let buffer = Buffer.allocUnsafe(Math.max(opened.size, 1));
    let filled = 0;
    for (;;) {
      checkAborted(options.signal, file);
      if (filled === buffer.length) {
        chunks.push(buffer);
        buffer = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
        filled = 0;
      }
      const { bytesRead } = await opened.handle.read(buffer, filled, Math.min(buffer.length - filled, CHUNK), null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(file, `over ${formatBytes(maxBytes)} (it grew while it was read)`, maxBytes);
    }
    chunks.push(buffer.subarray(0, filled));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await opened.handle.close();
  }
}
