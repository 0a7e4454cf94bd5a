import { realpath, stat } from "node:fs/promises";
import { readRunFile, RunFileError } from "@alpiq/memray-core";

/** The file system as compare uses it (injected so callers can read runs from elsewhere). */
export interface CompareFs {
  readText(file: string): Promise<string>;
  isDirectory(p: string): Promise<boolean>;
  realpath(p: string): Promise<string>;
}

export interface RunFileFsOptions {
  /** Ctrl-C: a read in progress stops (INTERRUPTED). */
  signal?: AbortSignal | undefined;
  /** Real path of the directory every file read must be inside (the run browser's runs directory). */
  within?: string | undefined;
}

/**
 * The file system compare reads runs through by default: every file with core's readRunFile (regular
 * files only, within their bound, abortable: a FIFO or a 200 MB table.json never hangs or floods it).
 * A missing file is passed on as the ENOENT error loadRun expects (table.json and stats.json are
 * optional); a refusal keeps its code and hint.
 */
export function runFileCompareFs(options: RunFileFsOptions = {}): CompareFs {
  return {
    async readText(file) {
      try {
        return (await readRunFile(file, options)).toString("utf8");
      } catch (error) {
        if (error instanceof RunFileError && error.problem === "missing" && error.cause) throw error.cause;
        throw error;
      }
    },
    isDirectory: async (p) => (await stat(p)).isDirectory(),
    realpath: (p) => realpath(p),
  };
}
