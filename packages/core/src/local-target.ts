import { cp, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import createDebug from "debug";
import { execa } from "execa";
import { InvalidOptionError } from "./errors.js";
import type { ExecOptions, ExecResult, Target } from "./target.js";

const debug = createDebug("memray:local");

/** Exit code reported when the program itself could not be started (like a shell's 127). */
export const COMMAND_NOT_FOUND = 127;

/** The host itself: processes run with execa (argv arrays, no shell), files are copied with fs. */
export class LocalTarget implements Target {
  readonly kind = "local";
  readonly name = "local";
  readonly sharesHostFilesystem = true;

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new InvalidOptionError("exec needs a command (an empty argv was given)");
    debug("exec %o", argv);
    const child = execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      reject: false,
      stripFinalNewline: false,
      cancelSignal: options.signal,
      input: options.input,
      stdin: options.input === undefined ? "ignore" : undefined,
      buffer: true,
      encoding: "utf8",
    });
    child.stdout?.on("data", (chunk: Buffer) => options.onStdout?.(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => options.onStderr?.(chunk.toString("utf8")));
    const result = await child;
    const notFound = (result as { code?: string }).code === "ENOENT";
    return {
      exitCode: notFound ? COMMAND_NOT_FOUND : (result.exitCode ?? (result.signal ? 128 + signalNumber(result.signal) : 1)),
      stdout: String(result.stdout ?? ""),
      stderr: notFound ? `${file}: command not found` : String(result.stderr ?? ""),
    };
  }

  async copyIn(hostPath: string, targetDir: string): Promise<void> {
    await cp(hostPath, path.join(targetDir, path.basename(hostPath)), { recursive: true });
  }

  async copyOut(targetDir: string, hostDir: string): Promise<void> {
    if (path.resolve(targetDir) === path.resolve(hostDir)) return;
    await cp(targetDir, hostDir, { recursive: true });
  }

  async scratchDir(): Promise<string> {
    return mkdtemp(path.join(os.tmpdir(), "memray-cli-"));
  }
}

function signalNumber(signal: string): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 0;
}
