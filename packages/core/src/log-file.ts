import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describeSignalError } from "./signals-source.js";

/** What became of one log file of a signals source. */
export interface LogFileResult {
  status: "ok" | "failed";
  /** The file's name, kept (possibly partial) when anything was written; null when nothing was. */
  file: string | null;
  bytes: number;
  error: string | null;
}

/**
 * One log of a signals source written into the run directory: `stages` (the API's response, then any
 * transform) piped into `dir/file` with backpressure, so memory stays flat whatever the log size, counting
 * the bytes written; the response is destroyed afterwards. A stream that breaks off keeps the part written
 * (an empty file is removed) and says why: `stopped after N bytes: <reason>` when `signal` stopped it,
 * `<label>: could not write <file>: ...` when the disk refused, `<label>: <error>` otherwise.
 */
export async function writeLogFile(
  stages: readonly [Readable, ...Readable[]],
  dir: string,
  file: string,
  options: { label: string; signal?: AbortSignal | undefined },
): Promise<LogFileResult> {
  const { signal } = options;
  const target = path.join(dir, file);
  const result: LogFileResult = { status: "failed", file, bytes: 0, error: null };
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      result.bytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline([...stages, counter, createWriteStream(target)], signal ? { signal } : {});
    result.status = "ok";
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOSPC" || code === "EACCES" ? `could not write ${file}: ${(error as Error).message}` : describeSignalError(error);
    result.error = signal?.aborted ? `stopped after ${result.bytes} bytes: ${describeSignalError(signal.reason)}` : `${options.label}: ${why}`;
    if (result.bytes === 0) {
      await rm(target, { force: true });
      result.file = null;
    }
  } finally {
    stages[0].destroy();
  }
  return result;
}

/** `work` over `items`, at most `limit` at a time; the results in the order of `items`. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
