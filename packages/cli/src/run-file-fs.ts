import { realpath, stat } from "node:fs/promises";
import { readRunFile, RunFileError } from "@alpiq/memray-core";
import type { CompareFs } from "@alpiq/memray-compare";

export interface RunFileFsOptions {
  /** Ctrl-C: a read in progress stops (INTERRUPTED). */
  signal?: AbortSignal | undefined;
  /** Real path of the directory every file read must be inside (the run browser's runs directory). */
  within?: string | undefined;
}

/**
 * The file system the compare library reads runs through, when the CLI hands it runs: every file is
 * read with core's readRunFile (regular files only, within their bound, abortable). A missing file is
 * passed on as the ENOENT error compare expects (table.json and stats.json are optional); a refused
 * one as an error whose message is the refusal alone (compare adds its own hint when it wraps it).
 */
export function runFileCompareFs(options: RunFileFsOptions = {}): CompareFs {
  return {
    async readText(file) {
      try {
        return (await readRunFile(file, options)).toString("utf8");
      } catch (error) {
        if (error instanceof RunFileError && error.problem === "missing" && error.cause) throw error.cause;
        if (error instanceof RunFileError) throw new Error(error.reason, { cause: error });
        throw error;
      }
    },
    isDirectory: async (p) => (await stat(p)).isDirectory(),
    realpath: (p) => realpath(p),
  };
}
