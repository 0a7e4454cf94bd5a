import fs from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import createDebug from "debug";
import tarFs from "tar-fs";
import { tailLines } from "./exec-lines.js";
import type { ExecOptions, ExecResult, ForwardPortOptions, PortForward, Target, TargetPlace } from "./target.js";
import { TargetCopyError, TargetExecError } from "./target-errors.js";

const debug = createDebug("memray:target");

/** Where a container's or pod's memory cgroup counts OOM kills: cgroup v1, then v2. */
export const CGROUP_OOM_COUNTERS = ["/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"] as const;

/** copyOut: the write buffer of each extracted file (fewer, larger writes). */
const WRITE_BUFFER_BYTES = 8 * 1024 * 1024;
const bufferedFs = {
  ...fs,
  createWriteStream: (file: fs.PathLike, options?: object) => fs.createWriteStream(file, { ...options, highWaterMark: WRITE_BUFFER_BYTES }),
};

/** An archive that could not be read because its directory does not exist in the target. */
export class ArchiveSourceMissingError extends Error {}

/**
 * What every runtime shares, written over `exec` and two archive primitives: the scratch directory,
 * the OOM counter, the include filter and the copy skeleton (files travel as tar streams, never
 * buffered whole). A runtime supplies `exec`, `writeArchive`, `readArchive` and, where its ports are
 * not the host's, `forwardPort`.
 */
export abstract class TargetBase implements Target {
  abstract readonly kind: string;
  abstract readonly name: string;
  abstract readonly place: TargetPlace;
  readonly sharesHostFilesystem: boolean = false;
  /** Files whose `oom_kill N` line counts the OOM kills where the target's processes live. */
  protected readonly oomCounters: readonly string[] = CGROUP_OOM_COUNTERS;
  /** The service's interpreter once known (useInterpreter), for the runtime's own helpers. */
  protected python: string | undefined;
  /** The scratch dirs this target made: a copy into one skips the mkdir. */
  private readonly knownDirs = new Set<string>();

  abstract exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  forwardPort?(targetPort: number, options?: ForwardPortOptions): Promise<PortForward>;
  lostReason?(): Promise<string | null>;

  /** Extract a tar stream into `targetDir` (it exists). */
  protected abstract writeArchive(archive: Readable, targetDir: string): Promise<void>;
  /**
   * Stream the contents of `sourceDir` as a tar (entries relative to it) into `sink`, ending it;
   * throws ArchiveSourceMissingError when the directory is not there.
   */
  protected abstract readArchive(sourceDir: string, sink: Writable): Promise<void>;
  /** Owner of the files copied in (default root; a container gives its default user, so the workload can write beside them). */
  protected archiveOwner(): Promise<{ uid: number; gid: number }> {
    return Promise.resolve({ uid: 0, gid: 0 });
  }

  useInterpreter(python: string): void {
    this.python = python;
  }

  async scratchDir(): Promise<string> {
    const argv = ["mktemp", "-d", "/tmp/memray-cli-XXXXXX"];
    void this.archiveOwner().catch(() => undefined); // a copy into it follows: ask beside mktemp, not after it
    const result = await this.exec(argv);
    const dir = result.stdout.trim();
    if (result.exitCode !== 0 || !dir.startsWith("/")) {
      throw new TargetExecError(this.place, argv, {
        detail: `exit ${result.exitCode}`,
        commandExitCode: result.exitCode,
        stderrTail: tailLines(result.stderr, 5),
        hint: `the ${this.place.kind} needs mktemp and a writable /tmp`,
      });
    }
    this.knownDirs.add(dir);
    return dir;
  }

  async oomKills(): Promise<number | null> {
    for (const file of this.oomCounters) {
      const result = await this.exec(["cat", file]).catch(() => undefined);
      const match = result?.exitCode === 0 ? /^oom_kill (\d+)$/m.exec(result.stdout) : null;
      if (match) return Number(match[1]);
    }
    return null;
  }

  async copyIn(hostPath: string, targetDir: string, options: { include?: ReadonlySet<string> } = {}): Promise<void> {
    const source = path.resolve(hostPath);
    const fail = (extra: { cause?: unknown; detail?: string; hint?: string }) => new TargetCopyError("in", this.place, hostPath, targetDir, extra);
    try {
      await stat(source);
    } catch (error) {
      throw fail({ cause: error, hint: "check the host path exists and is readable" });
    }
    const [, { uid, gid }] = await Promise.all([this.mkdirp(targetDir, hostPath), this.archiveOwner()]);
    const root = path.basename(source);
    const include = options.include;
    const pack = tarFs.pack(path.dirname(source), {
      entries: [root],
      // tar-fs hands absolute paths; keep the root, the listed files and the directories leading to them.
      ...(include ? { ignore: (name: string) => !travels(path.relative(path.dirname(source), name), include, root) } : {}),
      map: (header) => ({ ...header, uid, gid, uname: undefined, gname: undefined }) as typeof header,
    });
    debug("copy %s → %s:%s", source, this.name, targetDir);
    try {
      await this.writeArchive(pack, targetDir);
    } catch (error) {
      pack.destroy();
      throw error instanceof TargetCopyError ? error : fail({ cause: error });
    }
  }

  async copyOut(targetDir: string, hostDir: string): Promise<void> {
    const source = targetDir.replace(/\/+$/, "") || "/";
    const fail = (extra: { cause?: unknown; detail?: string; hint?: string }) => new TargetCopyError("out", this.place, targetDir, hostDir, extra);
    try {
      await mkdir(hostDir, { recursive: true });
    } catch (error) {
      throw fail({ cause: error, hint: "check the host directory is writable" });
    }
    debug("copy %s:%s → %s", this.name, source, hostDir);
    const extract = tarFs.extract(hostDir, { chown: false, strict: false, fs: bufferedFs } as tarFs.ExtractOptions);
    const extracted = finished(extract);
    extracted.catch(() => undefined); // awaited below; an early failure must not be unhandled
    try {
      await this.readArchive(source, extract);
      await extracted;
    } catch (error) {
      extract.destroy();
      const missing = error instanceof ArchiveSourceMissingError;
      throw fail({ cause: error, hint: missing ? `check ${targetDir} exists (${[...this.place.execPrefix, "ls", targetDir].join(" ")})` : undefined });
    }
  }

  private async mkdirp(dir: string, source: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const result = await this.exec(["mkdir", "-p", "--", dir]);
    if (result.exitCode !== 0) {
      throw new TargetCopyError("in", this.place, source, dir, { detail: tailLines(result.stderr, 5) || `mkdir exited ${result.exitCode}` });
    }
  }
}

/** Whether a path (relative to the copied path's parent) travels under an include list. */
export function travels(relative: string, include: ReadonlySet<string>, root: string): boolean {
  if (relative === root || include.has(relative)) return true;
  const prefix = `${relative}${path.sep}`;
  for (const entry of include) if (entry.startsWith(prefix)) return true;
  return false;
}
