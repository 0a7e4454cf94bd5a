import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import createDebug from "debug";
import { execa } from "execa";
import { tail, WheelhouseBuildError } from "./errors.js";

const debug = createDebug("memray:docker");

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
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

export interface Wheelhouse {
  dir: string;
  wheels: string[];
  command: string[];
}

/**
 * Download binary wheels of memray and its dependencies for a target's Python with the host's pip
 * (`pip download --only-binary=:all: --python-version X --platform manylinux...`), for offline
 * installs (installMemray({ wheelhouse })).
 */
export async function buildWheelhouse(options: BuildWheelhouseOptions): Promise<Wheelhouse> {
  if (!/^3\.\d+$/.test(options.pythonVersion)) {
    throw new WheelhouseBuildError([], null, `pythonVersion must look like "3.11", got ${JSON.stringify(options.pythonVersion)}`);
  }
  const machine = options.machine ?? (process.arch === "arm64" ? "aarch64" : "x86_64");
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
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
  debug("wheelhouse: %o", command);
  const child = execa(command[0]!, command.slice(1), { reject: false, all: true, cancelSignal: options.signal, stdin: "ignore" });
  child.all?.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) options.onOutput?.(line);
  });
  const result = await child;
  if (result.exitCode !== 0) {
    throw new WheelhouseBuildError(command, result.exitCode ?? null, tail(String(result.all ?? "")), result);
  }
  const wheels = (await readdir(dir)).filter((f) => f.endsWith(".whl")).sort();
  return { dir, wheels, command };
}
