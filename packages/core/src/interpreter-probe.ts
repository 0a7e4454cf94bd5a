import { MemrayError, MemrayNotInstalledError, PythonNotFoundError } from "./errors.js";
import type { Target } from "./target/target.js";

/** Exit code of the probe when Python runs but memray does not import. */
const MEMRAY_MISSING = 42;
// memray is looked for, not imported (~0.1 s less per run): a memray that is there but does not import is
// reported by the harness itself, as MEMRAY_NOT_INSTALLED with the import error.
const PROBE = [
  "import sys",
  "print('%d.%d.%d' % sys.version_info[:3])",
  "try:\n    import importlib.util\n    found = importlib.util.find_spec('memray')\nexcept Exception:\n    found = None",
  "sys.exit(0 if found else 42)",
].join("\n");

export interface InterpreterCheck {
  target: Target;
  python: string;
  /** A Python without memray is fine (tracemalloc + RSS only). */
  allowNoMemray: boolean;
  /** The fix printed when memray is missing. */
  memrayInstallHint?: string | undefined;
  /** Kills the probe (an interpreter that never answers) and ends the check. */
  signal?: AbortSignal | undefined;
}

/** One round trip: is the interpreter there, new enough, and is memray installed? */
export async function checkInterpreter(request: InterpreterCheck): Promise<void> {
  const { target, python } = request;
  const probe = await target.exec([python, "-c", PROBE], request.signal ? { signal: request.signal } : {}); // a hanging interpreter is killed on Ctrl-C
  if (probe.exitCode !== 0 && probe.exitCode !== MEMRAY_MISSING) {
    throw new PythonNotFoundError(python, target.name, probe.stderr.trim() ? new Error(probe.stderr.trim()) : undefined);
  }
  const version = probe.stdout.trim().split("\n")[0] ?? "";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new MemrayError(
      "PYTHON_TOO_OLD",
      `${python} on ${target.name} is Python ${version || "of unknown version"}; memray and the harness need Python >= 3.9`,
    );
  }
  if (probe.exitCode === MEMRAY_MISSING && !request.allowNoMemray) {
    throw new MemrayNotInstalledError(python, target.name, request.memrayInstallHint ?? `${python} -m pip install memray`);
  }
}
