import { ExitCode, type ExitCodeValue } from "./exit-codes.js";

export interface MemrayErrorOptions {
  cause?: unknown;
  /** What the user can do about it; appended to the message. */
  hint?: string;
}

/**
 * Base of every typed error in the memray-* packages: a stable `code`, the exit code a CLI should
 * use, and a message that says what failed, why, and what to do next.
 */
export class MemrayError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: MemrayErrorOptions = {}) {
    super(options.hint ? `${message}\n  → ${options.hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** An option or argument is malformed (names the option, what was expected, what was received). */
export class InvalidOptionError extends MemrayError {
  constructor(message: string, options: MemrayErrorOptions = {}) {
    super("INVALID_OPTION", ExitCode.Usage, message, options);
  }
}

export class ScriptNotFoundError extends MemrayError {
  constructor(readonly scriptPath: string, reason: "missing" | "directory") {
    super(
      "SCRIPT_NOT_FOUND",
      ExitCode.Usage,
      reason === "missing"
        ? `Script not found: ${scriptPath}`
        : `Script path is a directory, not a Python file: ${scriptPath}`,
      { hint: "pass the path of a .py file, e.g. --script test-cases/example-sequential-requests.py" },
    );
  }
}

export class OutputDirNotWritableError extends MemrayError {
  constructor(readonly dir: string, cause?: unknown) {
    super("OUTPUT_NOT_WRITABLE", ExitCode.Usage, `Cannot write the run directory under ${dir}`, {
      cause,
      hint: "choose a writable directory with --out DIR",
    });
  }
}

export class PythonNotFoundError extends MemrayError {
  constructor(readonly python: string, readonly target: string, cause?: unknown) {
    super("PYTHON_NOT_FOUND", ExitCode.Environment, `Python interpreter "${python}" not found on ${target}`, {
      cause,
      hint: "install Python >= 3.9 or pass the interpreter with --python PATH",
    });
  }
}

export class MemrayNotInstalledError extends MemrayError {
  constructor(
    readonly python: string,
    readonly target: string,
    readonly fixCommand: string,
    cause?: unknown,
  ) {
    super("MEMRAY_NOT_INSTALLED", ExitCode.Environment, `memray is not importable by ${python} on ${target}`, {
      cause,
      hint: `install it: ${fixCommand}`,
    });
  }
}

/** Turn anything thrown into a MemrayError (unknown errors are environment failures). */
export function toMemrayError(error: unknown): MemrayError {
  if (error instanceof MemrayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MemrayError("UNEXPECTED", ExitCode.Environment, message, { cause: error });
}
