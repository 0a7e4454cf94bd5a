import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { InvalidOptionError } from "@alpiq/memray-core";
import type { BuildConfig } from "./build-config.js";
import { CACHE_FORMAT, type SourceRevision } from "./source-revision.js";

/** The seed's wheel cache. */
export const DEFAULT_CACHE_DIR = "/tmp/pymando-debug";
export const BUILD_LOG_FILE = "build.log";
const ENTRY_FILE = "entry.json";

/** What entry.json next to a cached wheel records. */
export interface CacheEntry {
  format: number;
  key: string;
  project: string;
  /** File name of the wheel in the entry's directory. */
  wheel: string;
  revision: SourceRevision;
  config: BuildConfig;
  debugSections: Record<string, number>;
  builtAt: string;
  buildSeconds: number;
}

export interface CachedWheel {
  entry: CacheEntry;
  dir: string;
  wheel: string;
  buildLog: string;
}

/**
 * The wheel cache: `<dir>/<project>-<key>/` holds the wheel, build.log and entry.json, and appears
 * only once a build succeeded and was verified (staged in `.staging-*`, then renamed). A failed
 * build leaves its log in `<dir>/failed/<project>-<key>/` and the cache as it was.
 */
export class WheelCache {
  readonly dir: string;

  constructor(dir: string = DEFAULT_CACHE_DIR) {
    this.dir = path.resolve(dir);
  }

  entryDir(project: string, key: string): string {
    return path.join(this.dir, `${safeName(project)}-${key}`);
  }

  failedDir(project: string, key: string): string {
    return path.join(this.dir, "failed", `${safeName(project)}-${key}`);
  }

  /** The cached wheel for this key, or null (also for an entry of another format or with its wheel gone). */
  async lookup(project: string, key: string): Promise<CachedWheel | null> {
    const dir = this.entryDir(project, key);
    let entry: CacheEntry;
    try {
      entry = JSON.parse(await readFile(path.join(dir, ENTRY_FILE), "utf8")) as CacheEntry;
    } catch {
      return null;
    }
    if (entry.format !== CACHE_FORMAT || entry.key !== key) return null;
    const files = await readdir(dir).catch(() => [] as string[]);
    if (!files.includes(entry.wheel)) return null;
    return { entry, dir, wheel: path.join(dir, entry.wheel), buildLog: path.join(dir, BUILD_LOG_FILE) };
  }

  /** A fresh staging directory inside the cache (same filesystem, so committing is a rename). */
  async stage(key: string): Promise<string> {
    try {
      await mkdir(this.dir, { recursive: true });
      return await mkdtemp(path.join(this.dir, `.staging-${key}-`));
    } catch (error) {
      throw new InvalidOptionError(`cache directory ${this.dir} is not writable (${(error as Error).message})`, {
        cause: error,
        hint: "choose a writable directory with --cache-dir DIR",
      });
    }
  }

  /** Turn a staging directory holding the wheel and build.log into the entry for `entry.key`. */
  async commit(staging: string, entry: CacheEntry): Promise<CachedWheel> {
    await writeFile(path.join(staging, ENTRY_FILE), `${JSON.stringify(entry, null, 2)}\n`);
    const dir = this.entryDir(entry.project, entry.key);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    await rm(this.failedDir(entry.project, entry.key), { recursive: true, force: true });
    return { entry, dir, wheel: path.join(dir, entry.wheel), buildLog: path.join(dir, BUILD_LOG_FILE) };
  }

  /** Keep what a failed build left (its log, a wheel that failed verification) under failed/; returns that directory. */
  async keepFailed(staging: string, project: string, key: string): Promise<string> {
    const dir = this.failedDir(project, key);
    await mkdir(path.dirname(dir), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return dir;
  }

  async discard(staging: string): Promise<void> {
    await rm(staging, { recursive: true, force: true });
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, "_") || "project";
}
