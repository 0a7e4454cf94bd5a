import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { InvalidOptionError } from "@alpiq/memray-core";
import createDebug from "debug";
import type Docker from "dockerode";
import { parseBuildConfig, type BuildConfig, type BuildConfigInput } from "./build-config.js";
import { defaultGit, listSourceFiles, packBuildContext, type ContextExtra, type GitFactory } from "./build-context.js";
import { copyWheelsOut, ensureBaseImage, localImageId, pruneFailedLayers, removeImage, requireEngine, runDockerBuild } from "./docker-build.js";
import { CONTEXT_EXTRAS_DIR, IMAGE_OUT_DIR, renderToolchainDockerfile, renderWheelDockerfile, WHEEL_LABEL } from "./dockerfile.js";
import { DebugBuildFailedError, DebugInfoMissingError } from "./errors.js";
import { readMaturinProject } from "./maturin-project.js";
import { cacheKey, sha256File, sourceRevision, type KeyedFile, type SourceRevision } from "./source-revision.js";
import { inspectWheel, verifyWheel, type ExtensionModule, type WheelInspection } from "./verify-wheel.js";
import { BUILD_LOG_FILE, DEFAULT_CACHE_DIR, WheelCache } from "./wheel-cache.js";

const debug = createDebug("memray:debug-build");

/** The host's CA bundle, handed to apt/pip/cargo in the build when it exists (TLS-intercepting proxies). */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Lines of the build log a failure message shows. */
const LOG_TAIL_LINES = 30;

export type DebugBuildStep = "source" | "cache" | "engine" | "base-image" | "toolchain" | "build" | "extract" | "verify";

export type DebugBuildProgress = { type: "step"; step: DebugBuildStep; message: string } | { type: "output"; line: string };

export interface BuildDebugWheelOptions {
  /** Directory of the maturin/PyO3 project. */
  source: string;
  /** What decides the wheel (validated here; every field is part of the cache key). */
  config?: BuildConfigInput | BuildConfig;
  /** Default /tmp/pymando-debug. */
  cacheDir?: string;
  /** Build even when the cache has a wheel for this key (the entry is replaced only when the build succeeds). */
  rebuild?: boolean;
  docker: Docker;
  /** simple-git for a directory (default: simple-git). */
  git?: GitFactory;
  /** Host CA bundle copied into the build (default /etc/ssl/certs/ca-certificates.crt when it exists; null: never). */
  caBundle?: string | null;
  /** CARGO_BUILD_JOBS in the build (default: cargo's, one per CPU). */
  jobs?: number;
  /** How long a pull of a missing base image may take (default 120 s). */
  pullTimeoutMs?: number;
  onProgress?: (event: DebugBuildProgress) => void;
  signal?: AbortSignal;
}

export interface DebugWheel {
  /** Absolute path of the wheel in the cache. */
  wheel: string;
  /** Returned from the cache, nothing built. */
  cached: boolean;
  key: string;
  /** DWARF sections of the wheel's extension modules and their sizes in bytes. */
  debugSections: Record<string, number>;
  modules: ExtensionModule[];
  /** build.log next to the wheel. */
  buildLog: string;
  project: string;
  revision: SourceRevision;
  config: BuildConfig;
  /** Seconds this call took. */
  seconds: number;
}

/**
 * Build a wheel of a maturin/PyO3 project with full DWARF debug info in Docker, or return the cached
 * one for the same source revision and config. The toolchain image (base + the seed's apt packages +
 * maturin + copied libraries) is built once per config and tagged; the wheel build streams the
 * source (.gitignore/.dockerignore honoured) as the context, saves its output to build.log and is
 * verified (`.debug_info` in every extension module) before it enters the cache.
 *
 * Throws DebugBuildSourceInvalidError (2), InvalidOptionError (2), DebugBuildFailedError (1),
 * DebugInfoMissingError (1), EngineUnavailableError (3), BaseImageUnavailableError (3).
 */
export async function buildDebugWheel(options: BuildDebugWheelOptions): Promise<DebugWheel> {
  const started = Date.now();
  const step = (name: DebugBuildStep, message: string) => options.onProgress?.({ type: "step", step: name, message });
  const git = options.git ?? defaultGit;

  step("source", `reading ${options.source}`);
  const project = await readMaturinProject(options.source);
  const config = parseBuildConfig(options.config ?? {});
  const libs = await hashLibraries(config.copyLibs);
  const listing = await listSourceFiles(project.dir, git);
  const revision = await sourceRevision(project.dir, git, listing);
  const key = cacheKey(revision, config, libs);
  const cache = new WheelCache(options.cacheDir ?? DEFAULT_CACHE_DIR);
  const result = (wheel: string, cached: boolean, buildLog: string, inspection: WheelInspection): DebugWheel => ({
    wheel,
    cached,
    key,
    debugSections: inspection.debugSections,
    modules: inspection.modules,
    buildLog,
    project: project.name,
    revision,
    config,
    seconds: (Date.now() - started) / 1000,
  });

  if (!options.rebuild) {
    const hit = await cache.lookup(project.name, key);
    if (hit) {
      step("cache", `cached wheel for ${describeRevision(revision)} (key ${key}): ${hit.wheel}`);
      step("verify", `reading the ELF sections of ${path.basename(hit.wheel)}`);
      const inspection = config.debugInfo > 0 ? await verifyWheel(hit.wheel) : await inspectWheel(hit.wheel);
      return result(hit.wheel, true, hit.buildLog, inspection);
    }
    step("cache", `no cached wheel for ${describeRevision(revision)} (key ${key}) in ${cache.dir}`);
  } else {
    step("cache", `--rebuild: building ${describeRevision(revision)} (key ${key}) even if cached`);
  }
  step("engine", "checking the Docker engine");
  await requireEngine(options.docker);
  const build = new WheelBuild(options, {
    name: project.name,
    dir: project.dir,
    files: listing.files,
    config,
    libs,
    revision,
    key,
    cache,
    staging: await cache.stage(key),
    started,
  });
  const entry = await build.run();
  return result(entry.wheel, false, entry.buildLog, entry.inspection);
}

interface WheelBuildPlan {
  name: string;
  dir: string;
  files: string[];
  config: BuildConfig;
  libs: KeyedFile[];
  revision: SourceRevision;
  key: string;
  cache: WheelCache;
  /** The cache's staging directory for this build. */
  staging: string;
  /** When the call began (Date.now()), for the cache entry's build time. */
  started: number;
}

/**
 * One build of a wheel, phase by phase: the toolchain image (once per config), the wheel image,
 * the wheel copied out, verified and committed to the cache. Every line goes to build.log; a
 * failure keeps the log beside the cache (which is left untouched) and says what the last lines say.
 */
class WheelBuild {
  private readonly log;
  private readonly lines: string[] = [];
  /** The toolchain image's tag, once it is there. */
  private toolchain = "";

  constructor(
    private readonly options: BuildDebugWheelOptions,
    private readonly plan: WheelBuildPlan,
  ) {
    this.log = createWriteStream(path.join(plan.staging, BUILD_LOG_FILE));
  }

  async run(): Promise<{ wheel: string; buildLog: string; inspection: WheelInspection }> {
    const { cache, staging } = this.plan;
    try {
      await this.toolchainImage();
      const wheelImage = await this.wheelImage();
      const wheelName = await this.extract(wheelImage);
      return await this.verifyAndCommit(wheelName);
    } catch (error) {
      if (!this.log.closed) await this.closeLog();
      if (existsSync(staging)) await cache.discard(staging);
      throw error;
    }
  }

  private step(name: DebugBuildStep, message: string): void {
    this.options.onProgress?.({ type: "step", step: name, message });
  }

  private readonly onLine = (line: string): void => {
    this.log.write(`${line}\n`);
    // The builder's own bookkeeping stays in build.log, out of progress and of the tail a failure shows.
    if (BUILDER_NOISE.test(line) || !line.trim()) return;
    this.lines.push(line);
    if (this.lines.length > 400) this.lines.splice(0, this.lines.length - LOG_TAIL_LINES);
    this.options.onProgress?.({ type: "output", line });
  };

  private closeLog(): Promise<void> {
    return new Promise<void>((resolve) => this.log.end(resolve));
  }

  private async fail(failure: string, cause?: unknown): Promise<never> {
    const { cache, staging, name, key } = this.plan;
    await this.closeLog();
    const kept = await cache.keepFailed(staging, name, key);
    await pruneFailedLayers(this.options.docker, WHEEL_LABEL);
    const logFile = path.join(kept, BUILD_LOG_FILE);
    throw new DebugBuildFailedError(failure, logFile, this.lines.slice(-LOG_TAIL_LINES).join("\n"), {
      cause,
      hint: `fix what the lines above say (the whole output is in ${logFile}); the wheel cache was left untouched`,
    });
  }

  /** The base image, then the toolchain image on it (the seed's packages, maturin, the CA bundle, copied libraries), tagged by what decides it. */
  private async toolchainImage(): Promise<void> {
    const { options } = this;
    const { config, libs, dir } = this.plan;
    this.step("base-image", `checking the base image ${config.baseImage}`);
    const base = await ensureBaseImage(options.docker, config.baseImage, {
      platform: config.platform,
      timeoutMs: options.pullTimeoutMs ?? 120_000,
      onLine: this.onLine,
    });
    const caBundle = options.caBundle === undefined ? (existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : null) : options.caBundle;
    const extras: ContextExtra[] = [];
    if (caBundle) extras.push({ name: `${CONTEXT_EXTRAS_DIR}/ca-bundle.crt`, hostPath: caBundle });
    for (const lib of libs) extras.push({ name: `${CONTEXT_EXTRAS_DIR}/lib/${path.basename(lib.path)}`, hostPath: lib.path });
    const dockerfile = renderToolchainDockerfile(config, { caBundle: Boolean(caBundle), libs: libs.map((lib) => path.basename(lib.path)) });
    const toolchainKey = createHash("sha256")
      .update(JSON.stringify({ base: base.id, platform: config.platform, dockerfile, ca: caBundle ? await sha256File(caBundle) : null, libs }))
      .digest("hex")
      .slice(0, 16);
    this.toolchain = `memray-debug-build/toolchain:${toolchainKey}`;
    if (await localImageId(options.docker, this.toolchain)) {
      this.step("toolchain", `toolchain image ${this.toolchain} is up to date`);
      this.onLine(`# toolchain image ${this.toolchain} is up to date`);
      return;
    }
    this.step("toolchain", `building the toolchain image ${this.toolchain} (${config.baseImage} + python3-dbg, cmake, golang, ...; once per config)`);
    const built = await runDockerBuild(options.docker, {
      context: packBuildContext(dir, [], [...extras, { name: `${CONTEXT_EXTRAS_DIR}/Dockerfile`, content: dockerfile }]),
      dockerfile: `${CONTEXT_EXTRAS_DIR}/Dockerfile`,
      tag: this.toolchain,
      platform: config.platform,
      signal: options.signal,
      onLine: this.onLine,
    });
    if (!built.ok) await this.fail(`the toolchain image (${config.baseImage} + the seed's packages) did not build: ${summarizeBuildError(built.error)}`);
  }

  /** maturin build --release in an image on the toolchain, the source streamed as its context. */
  private async wheelImage(): Promise<string> {
    const { options } = this;
    const { config, key, dir, files } = this.plan;
    const buildId = options.rebuild ? `${key}-${randomBytes(4).toString("hex")}` : key;
    const wheelImage = `memray-debug-build/wheel:${key}`;
    this.step("build", `maturin build --release --skip-auditwheel (CARGO_PROFILE_RELEASE_DEBUG=${config.debugInfo}) of ${files.length} files`);
    const built = await runDockerBuild(options.docker, {
      context: packBuildContext(dir, files, [{ name: `${CONTEXT_EXTRAS_DIR}/Dockerfile`, content: renderWheelDockerfile(config, this.toolchain, key) }]),
      dockerfile: `${CONTEXT_EXTRAS_DIR}/Dockerfile`,
      tag: wheelImage,
      platform: config.platform,
      buildargs: { MEMRAY_BUILD_ID: buildId, ...(options.jobs ? { CARGO_BUILD_JOBS: String(options.jobs) } : {}) },
      signal: options.signal,
      onLine: this.onLine,
    });
    if (!built.ok) await this.fail(`maturin build --release --skip-auditwheel failed: ${summarizeBuildError(built.error)}`);
    return wheelImage;
  }

  /** The wheel out of its image (which is removed), into the staging directory. */
  private async extract(wheelImage: string): Promise<string> {
    this.step("extract", `copying the wheel out of ${wheelImage}`);
    let wheels: string[];
    try {
      wheels = await copyWheelsOut(this.options.docker, wheelImage, IMAGE_OUT_DIR, this.plan.staging);
    } finally {
      await removeImage(this.options.docker, wheelImage);
    }
    if (wheels.length === 0) await this.fail(`the build wrote no wheel to ${IMAGE_OUT_DIR}`);
    if (wheels.length > 1) this.onLine(`# ${wheels.length} wheels were built (${wheels.join(", ")}); using ${wheels[0]}`);
    await this.closeLog();
    return wheels[0]!;
  }

  /** `.debug_info` in every extension module (when asked for), then the wheel enters the cache. */
  private async verifyAndCommit(wheelName: string): Promise<{ wheel: string; buildLog: string; inspection: WheelInspection }> {
    const { config, cache, staging, name, key, revision, started } = this.plan;
    this.step("verify", `reading the ELF sections of ${wheelName}`);
    let inspection: WheelInspection;
    try {
      inspection = config.debugInfo > 0 ? await verifyWheel(path.join(staging, wheelName)) : await inspectWheel(path.join(staging, wheelName));
    } catch (error) {
      const kept = await cache.keepFailed(staging, name, key);
      if (error instanceof DebugInfoMissingError) {
        throw new DebugInfoMissingError(path.join(kept, wheelName), error.modules, {
          cause: error,
          hint: `the build set CARGO_PROFILE_RELEASE_DEBUG=${config.debugInfo}; check [tool.maturin] strip / [profile.release] in the project (build log: ${path.join(kept, BUILD_LOG_FILE)})`,
        });
      }
      throw error;
    }
    const entry = await cache.commit(staging, {
      format: 1,
      key,
      project: name,
      wheel: wheelName,
      revision,
      config,
      debugSections: inspection.debugSections,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
    });
    debug("cached %s", entry.wheel);
    return { wheel: entry.wheel, buildLog: entry.buildLog, inspection: { ...inspection, wheel: entry.wheel } };
  }
}

/** The legacy builder's step/container lines and its restatement of a failed RUN. */
const BUILDER_NOISE = /^ ---> |^Removing intermediate container |^ERROR: The command '/;

/** "The command '/bin/sh -c <the whole RUN>' returned a non-zero code: 101" → "the build step exited with code 101". */
export function summarizeBuildError(error: string | null): string {
  const code = /returned a non-zero code: (\d+)/.exec(error ?? "");
  if (code) return `the build step exited with code ${code[1]}`;
  return error ?? "unknown error";
}

/** "git abc1234 (+3 changed files)" / "files 0123abcd" for progress lines. */
export function describeRevision(revision: SourceRevision): string {
  if (revision.kind === "files") return `${revision.files} files (hash ${revision.hash}; not a git work tree)`;
  const head = revision.head ? `HEAD ${revision.head.slice(0, 10)}` : "no commit yet";
  return revision.changes ? `${head} + ${revision.changedFiles} uncommitted/untracked file(s)` : `${head} (clean)`;
}

async function hashLibraries(paths: readonly string[]): Promise<KeyedFile[]> {
  const out: KeyedFile[] = [];
  for (const lib of paths) {
    const absolute = path.resolve(lib);
    const info = await stat(absolute).catch(() => null);
    if (!info?.isFile()) {
      throw new InvalidOptionError(`copyLibs: ${lib} ${info ? "is not a file" : "does not exist"} (a shared library to copy into the build image)`, {
        hint: "pass the path of the .so on this host, e.g. /usr/local/lib/libduckdb.so",
      });
    }
    out.push({ path: absolute, sha256: await sha256File(absolute) });
  }
  const names = out.map((lib) => path.basename(lib.path));
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new InvalidOptionError(`copyLibs: two libraries are named ${duplicate}; they would overwrite each other in /usr/local/lib`);
  return out;
}
