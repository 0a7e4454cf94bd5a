import { statfsSync } from "node:fs";
import { formatBytes } from "./format-size.js";
import { MemrayError } from "./errors.js";

/** The ENOSPC somewhere in an error's cause chain, or undefined. */
export function findNoSpace(error: unknown): NodeJS.ErrnoException | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    if ((current as NodeJS.ErrnoException).code === "ENOSPC") return current as NodeJS.ErrnoException;
    current = current.cause;
  }
  return undefined;
}

/** A write failed because the disk is full: which file, how much it needed, how much is free. */
export class DiskFullError extends MemrayError {
  constructor(
    readonly file: string,
    readonly bytesNeeded: number | undefined,
    cause?: unknown,
  ) {
    const need = bytesNeeded === undefined ? "" : ` (it needed ${formatBytes(bytesNeeded)})`;
    super("DISK_FULL", `No space left to write ${file}${need}; ${freeSpace(file)} free on that disk`, { cause });
  }
}

function freeSpace(file: string): string {
  try {
    const stats = statfsSync(file.replace(/\/[^/]*$/, "") || "/");
    return formatBytes(stats.bavail * stats.bsize);
  } catch {
    return "unknown";
  }
}
