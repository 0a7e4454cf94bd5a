import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import createDebug from "debug";
import tarFs from "tar-fs";
import { InvalidOptionError } from "../errors.js";
import type { ExecOptions, ExecResult, TargetPlace } from "./target.js";
import { ArchiveSourceMissingError, TargetBase } from "./target-base.js";

const debug = createDebug("memray:local");

/** Exit code reported when the program itself could not be started (like a shell's 127). */
export const COMMAND_NOT_FOUND = 127;
/**
 * After the process exits, how long its output may still flow. A background process it left behind
 * can hold the pipes open forever; past this, the output streams are closed.
 */
const OUTPUT_GRACE_MS = 2000;

/**
 * The host itself: processes run with argv arrays (no shell), each in its own process group, so a
 * terminal's Ctrl-C reaches memray-cli alone and memray-cli decides what the process hears.
 */
export class LocalTarget extends TargetBase {
  readonly kind = "local";
  readonly name = "local";
  readonly place: TargetPlace = { kind: "host", name: "this host", execPrefix: [] };
  override readonly sharesHostFilesystem = true;
  /** A child's stdin pipe closes when this process ends, however it ends (SIGKILL included). */
  readonly holdsStdin = true;
  /** The host's own count: /proc/vmstat (a cgroup file here would be the session's, not the machine's). */
  protected override readonly oomCounters = ["/proc/vmstat"];

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new InvalidOptionError("exec needs a command (an empty argv was given)");
    debug("exec %o", argv);
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined && !options.holdStdin ? "ignore" : "pipe", "pipe", "pipe"],
      detached: true,
    });
    // Held: nothing is written; the pipe closes with the process (destroyed) or with this one (the kernel).
    child.stdin?.on("error", (error) => debug("stdin: %O", error));
    const spawned = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", (error) => resolve(error));
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const onAbort = () => killGroup(child.pid, "SIGKILL");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child
        .once("close", (code, signal) => resolve({ code, signal }))
        .once("exit", (code, signal) => {
          // Output may be held open by a process it left behind: stop waiting for it after a grace.
          setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            resolve({ code, signal });
          }, OUTPUT_GRACE_MS).unref();
        }),
    );
    const keep = options.buffer !== false;
    const [stdout, stderr] = await Promise.all([consume(child.stdout, options.onStdout, keep), consume(child.stderr, options.onStderr, keep), exited]);
    options.signal?.removeEventListener("abort", onAbort);
    if (options.holdStdin) child.stdin?.destroy();
    const spawnError = await spawned;
    if (spawnError) {
      const notFound = spawnError.code === "ENOENT";
      return { exitCode: notFound ? COMMAND_NOT_FOUND : 126, stdout: "", stderr: notFound ? `${file}: command not found` : spawnError.message };
    }
    const { code, signal } = await exited;
    return { exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1), exitSignal: signal ?? undefined, stdout, stderr };
  }

  override async copyOut(targetDir: string, hostDir: string): Promise<void> {
    if (path.resolve(targetDir) === path.resolve(hostDir)) return;
    await super.copyOut(targetDir, hostDir);
  }

  protected async writeArchive(archive: Readable, targetDir: string): Promise<void> {
    await pipeline(archive, tarFs.extract(targetDir));
  }

  protected async readArchive(sourceDir: string, sink: Writable): Promise<void> {
    await access(sourceDir).catch((error: unknown) => {
      throw new ArchiveSourceMissingError(`${sourceDir} does not exist`, { cause: error });
    });
    await pipeline(tarFs.pack(sourceDir), sink);
  }
}

/** Read a stream to its end, handing decoded chunks to `onChunk` and waiting on its backpressure. */
async function consume(stream: Readable | null, onChunk: ExecOptions["onStdout"], keep: boolean): Promise<string> {
  if (!stream) return "";
  const decoder = new StringDecoder("utf8");
  let kept = "";
  try {
    for await (const chunk of stream) {
      const text = decoder.write(chunk as Buffer);
      if (keep) kept += text;
      const pending = onChunk?.(text);
      if (pending) await pending;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") debug("output stream: %O", error);
  }
  const rest = decoder.end();
  if (rest) {
    if (keep) kept += rest;
    await onChunk?.(rest);
  }
  return kept;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    debug("kill %d: %O", pid, error);
  }
}

function signalNumber(signal: string): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 0;
}
