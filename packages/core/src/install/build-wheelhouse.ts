import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import createDebug from "debug";
import { InvalidOptionError, WheelhouseBuildError } from "../errors.js";
import { execLines, tailLines } from "../target/exec-lines.js";
import { LocalTarget } from "../target/local-target.js";
import type { Target } from "../target/target.js";

const debug = createDebug("memray:install");

export interface BuildWheelhouseOptions {
  /** Python of the TARGET, "3.11". */
  pythonVersion: string;
  /** Host directory the wheels are downloaded to (created). */
  dir: string;
  /** Requirements (default ["memray"]). */
  requirements?: string[];
  /** Linux machine of the target (default: this host's, x86_64 or aarch64). */
  machine?: "x86_64" | "aarch64";
  /** Host interpreter that runs pip (default "python3"). */
  hostPython?: string;
  /** pip's output, one whole line at a time (blank lines skipped). */
  onOutput?: (line: string) => void;
  /** Where pip runs: this host (default), or a fake in tests. */
  host?: Pick<Target, "exec">;
}

export interface Wheelhouse {
  dir: string;
  wheels: string[];
  command: string[];
}

/**
 * Download binary wheels of memray and its dependencies for a target's Python with the host's pip
 * (`pip download --only-binary=:all: --python-version X --platform manylinux...`), for offline
 * installs (installMemray({ wheelhouse })). Throws InvalidOptionError for a malformed pythonVersion
 * and WheelhouseBuildError when pip fails.
 */
export async function buildWheelhouse(options: BuildWheelhouseOptions): Promise<Wheelhouse> {
  if (!/^3\.\d+$/.test(options.pythonVersion)) {
    throw new InvalidOptionError(`pythonVersion must look like "3.11", got ${JSON.stringify(options.pythonVersion)}`);
  }
  const machine = options.machine ?? (process.arch === "arm64" ? "aarch64" : "x86_64");
  const dir = path.resolve(options.dir);
  const platforms = ["manylinux2014", "manylinux_2_17", "manylinux_2_28"].flatMap((p) => ["--platform", `${p}_${machine}`]);
  const command = [
    options.hostPython ?? "python3",
    "-m",
    "pip",
    "download",
    "--disable-pip-version-check",
    "--only-binary=:all:",
    "--python-version",
    options.pythonVersion,
    "--implementation",
    "cp",
    ...platforms,
    "--dest",
    dir,
    ...(options.requirements ?? ["memray"]),
  ];
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new WheelhouseBuildError(command, null, "", { cause: error, detail: `cannot create ${dir}`, hint: "choose a writable wheelhouse directory" });
  }
  debug("wheelhouse: %o", command);
  const result = await execLines(options.host ?? new LocalTarget(), command, { onLine: (_stream, line) => options.onOutput?.(line) });
  if (result.exitCode !== 0) {
    throw new WheelhouseBuildError(command, result.exitCode, tailLines(`${result.stdout}${result.stderr}`), {
      detail: result.exitCode === 127 ? `${command[0]} did not run: ${result.stderr.trim().split("\n")[0]}` : undefined,
    });
  }
  let wheels: string[];
  try {
    wheels = (await readdir(dir)).filter((f) => f.endsWith(".whl")).sort();
  } catch (error) {
    throw new WheelhouseBuildError(command, 0, "", { cause: error, detail: `cannot list ${dir}` });
  }
  return { dir, wheels, command };
}
