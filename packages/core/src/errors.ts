import { ERROR_CODES, type ErrorCode } from "./error-codes.js";
import type { ExitCodeValue } from "./exit-codes.js";
import { formatArgv, fsErrorText, indented } from "./message-parts.js";

export interface MemrayErrorOptions {
  cause?: unknown;
  /** What the user can do about it; defaults to the code's hint in ERROR_CODES. */
  hint?: string;
}

/**
 * Base of every typed error in the memray-* packages: a stable `code` from ERROR_CODES, the exit
 * code that table gives it, a message that says what failed and why, a hint saying what to do next,
 * and the original error as `cause`.
 */
export class MemrayError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly hint: string;
  /** The message without the hint (for summary.json's `error`). */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, options: MemrayErrorOptions = {}) {
    const hint = options.hint ?? ERROR_CODES[code].hint;
    super(`${message}\n  → ${hint}`, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = ERROR_CODES[code].exitCode;
    this.hint = hint;
    this.reason = message;
  }
}

/** An option or argument is malformed (names the option, what was expected, what was received). */
export class InvalidOptionError extends MemrayError {
  constructor(message: string, options: MemrayErrorOptions = {}) {
    super("INVALID_OPTION", message, options);
  }
}

export class ScriptNotFoundError extends MemrayError {
  /** `kind`: what the path is instead, for "not-regular" (`a FIFO (named pipe)`, `a socket`, ...). */
  constructor(
    readonly scriptPath: string,
    reason: "missing" | "directory" | "not-regular",
    kind = "not a file",
  ) {
    super(
      "SCRIPT_NOT_FOUND",
      reason === "missing"
        ? `Script not found: ${scriptPath}`
        : reason === "directory"
          ? `Script path is a directory, not a Python file: ${scriptPath}`
          : `Script path is ${kind}, not a regular file: ${scriptPath}`,
      reason === "not-regular" ? { hint: "pass the path of a .py file (a regular file: a FIFO, socket or device cannot be run as a script)" } : {},
    );
  }
}

/** The directory of runs (--out) or a run directory in it cannot be created. */
export class OutputDirNotWritableError extends MemrayError {
  constructor(
    readonly dir: string,
    cause?: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why = fsErrorText(cause);
    super("OUTPUT_NOT_WRITABLE", `Cannot write the run directory under ${dir}${why ? `: ${why}` : ""}`, {
      cause,
      ...(code === "ELOOP"
        ? { hint: "remove or fix the symbolic link loop in the --out path, or choose another directory with --out DIR" }
        : code === "ENAMETOOLONG"
          ? { hint: "a file name has at most 255 bytes and a path 4096: shorten the --out path (or --name)" }
          : {}),
    });
  }
}

/** A run's name that would make a run directory name longer than the file system allows. */
export class RunNameTooLongError extends MemrayError {
  constructor(runName: string, maxLength: number) {
    super(
      "INVALID_OPTION",
      `the run name is ${runName.length} characters long; a run name may have at most ${maxLength} (the run directory adds -YYYYMMDD-HHMMSS, and a file name has at most 255 bytes)`,
      { hint: `choose a shorter name with --name (at most ${maxLength} characters)` },
    );
  }
}

/** Why a file of a run directory was not read. */
export type RunFileProblem = "missing" | "not-regular" | "too-large" | "outside" | "unreadable";

/**
 * A file of a run directory that memray-cli refuses to read: not there, not a regular file (a FIFO would
 * block the reader forever), larger than its bound, outside the directory it must be in, or unreadable.
 */
export class RunFileError extends MemrayError {
  constructor(
    readonly file: string,
    readonly problem: RunFileProblem,
    message: string,
    options: MemrayErrorOptions = {},
  ) {
    super("RUN_UNREADABLE", message, options);
  }
}

export class PythonNotFoundError extends MemrayError {
  constructor(
    readonly python: string,
    readonly target: string,
    cause?: unknown,
  ) {
    super("PYTHON_NOT_FOUND", `Python interpreter "${python}" not found on ${target}`, { cause });
  }
}

export class MemrayNotInstalledError extends MemrayError {
  constructor(
    readonly python: string,
    readonly target: string,
    readonly fixCommand: string,
    cause?: unknown,
  ) {
    super("MEMRAY_NOT_INSTALLED", `memray is not importable by ${python} on ${target}`, { cause, hint: `install it: ${fixCommand}` });
  }
}

/** The harness package is not where the build or MEMRAY_HARNESS_DIR put it. */
export class HarnessNotFoundError extends MemrayError {
  constructor(readonly searched: readonly string[]) {
    super("HARNESS_NOT_FOUND", `memray_harness not found; looked in ${searched.join(", ")}`);
  }
}

/** The harness process ended without finishing its run (killed, crashed, target stopped). */
export class HarnessKilledError extends MemrayError {
  constructor(
    readonly target: string,
    readonly harnessExitCode: number,
    detail: string,
  ) {
    super("HARNESS_KILLED", `the harness on ${target} ended with exit code ${harnessExitCode}${detail}`);
  }
}

/** The service's command line names no WSGI app we can recognise. */
export class AppNotFoundError extends MemrayError {
  constructor(
    readonly service: string,
    readonly command: readonly string[],
  ) {
    super("APP_NOT_FOUND", `Cannot find the WSGI or ASGI app in the command of "${service}": ${JSON.stringify(command)}`, {
      hint: "pass it with --app module:attr (or module:create_app() for a factory); recognised commands are waitress-serve, gunicorn (also with a uvicorn worker), flask --app, uvicorn (python -m uvicorn, --factory) and hypercorn",
    });
  }
}

/** The service port cannot be told from the service's names, declared ports or command. */
export class PortNotDetectableError extends MemrayError {
  constructor(
    readonly service: string,
    readonly candidates: readonly number[],
  ) {
    const seen = candidates.length === 0 ? "it declares no TCP port" : `it declares ${candidates.join(", ")}`;
    super("PORT_NOT_DETECTABLE", `Cannot tell the service port of "${service}": ${seen}`, {
      hint: "pass the port the service listens on inside the target with --port N",
    });
  }
}

/** memray could not be installed (or verified) in the target. */
export class InstallFailedError extends MemrayError {
  constructor(
    message: string,
    readonly target: string,
    readonly command: readonly string[],
    readonly commandExitCode: number | null,
    readonly stderrTail: string,
    options: MemrayErrorOptions = {},
  ) {
    super("INSTALL_FAILED", `${message}${indented(stderrTail)}`, options);
  }
}

/** `pip download` on the host failed while building a wheelhouse. */
export class WheelhouseBuildError extends MemrayError {
  constructor(
    readonly command: readonly string[],
    readonly commandExitCode: number | null,
    readonly stderrTail: string,
    options: MemrayErrorOptions & { detail?: string | undefined } = {},
  ) {
    const detail = options.detail ?? `${formatArgv(command)} exited ${commandExitCode ?? "abnormally"}`;
    super("WHEELHOUSE_BUILD_FAILED", `Building the wheelhouse failed: ${detail}${indented(stderrTail)}`, {
      cause: options.cause,
      hint: options.hint ?? "check pip works on the host (python3 -m pip --version) and that the package index is reachable",
    });
  }
}

/** Turn anything thrown into a MemrayError; unknown errors keep their cause and are environment failures. */
export function toMemrayError(error: unknown): MemrayError {
  if (error instanceof MemrayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MemrayError("UNEXPECTED", message, { cause: error });
}

/** The chain of causes under an error, outermost first, one line each (for --verbose). */
export function describeCauseChain(error: unknown): string[] {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && current !== null && !seen.has(current) && lines.length < 10) {
    seen.add(current);
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      lines.push(`${current.name}${typeof code === "string" ? ` [${code}]` : ""}: ${current.message.split("\n")[0]}`);
      current = current.cause;
    } else {
      lines.push(String(current));
      break;
    }
  }
  return lines;
}
