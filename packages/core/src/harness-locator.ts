import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HarnessNotFoundError } from "./errors.js";

/**
 * The directory that holds the `memray_harness` package and `memray-runner.py`: MEMRAY_HARNESS_DIR,
 * else the copy staged into this package at build time (`python/`), else the repository's `python/`.
 */
export function locateHarnessDir(env: NodeJS.ProcessEnv = process.env): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [env.MEMRAY_HARNESS_DIR, path.resolve(here, "../python"), path.resolve(here, "../../../python")].filter((dir): dir is string =>
    Boolean(dir),
  );
  for (const dir of candidates) {
    if (existsSync(path.join(dir, "memray_harness", "__init__.py"))) return dir;
  }
  throw new HarnessNotFoundError(candidates);
}
