import path from "node:path";
import {
  execLines,
  findServicePython,
  InstallFailedError,
  installMemray,
  tailLines,
  type ExecResult,
  type InstallMemrayResult,
  type Target,
} from "@alpiq/memray-core";
import { DockerTarget } from "@alpiq/memray-docker";
import createDebug from "debug";
import { inspectWheel } from "./verify-wheel.js";

const debug = createDebug("memray:debug-build");

/** The seed's interpreter debug packages (libpython3-dbg comes with python3-dbg). */
export const DEBUG_PACKAGES = ["python3-dbg", "libpython3-dbg"] as const;

export type InstallDebugWheelProgress =
  | { type: "step"; step: "copy" | "pip" | "verify" | "debug-symbols"; message: string }
  | { type: "output"; stream: "stdout" | "stderr"; line: string };

export interface InstallDebugWheelOptions {
  /** A DockerTarget (or any Target with `python` given). */
  target: Target;
  /** Host path of the wheel. */
  wheel: string;
  /** Interpreter in the target (default: the service's own for a DockerTarget, else python3). */
  python?: string | undefined;
  /** Check python3-dbg/libpython3-dbg and re-install them when missing (default true). */
  debugSymbols?: boolean;
  /** Host CA bundle for apt/pip in the target (installMemray's default when undefined; null: never). */
  hostCaBundle?: string | null;
  onProgress?: (event: InstallDebugWheelProgress) => void;
}

export interface DebugPackagesStatus {
  /** present: nothing to do; reinstalled: some were missing and were installed; unavailable: no apt/dpkg. */
  status: "present" | "reinstalled" | "unavailable" | "not-requested";
  /** Which were missing before (empty when present). */
  missing: string[];
  reason?: string;
}

export interface InstalledDebugWheel {
  container: string;
  python: string;
  /** File name of the installed wheel. */
  wheel: string;
  /** Dotted name of the extension module that was imported to check the install. */
  module: string;
  /** Its file in the target. */
  moduleFile: string;
  debugPackages: DebugPackagesStatus;
  /** What installMemray did when debug packages had to be re-installed (it also makes sure memray is there). */
  memray?: Pick<InstallMemrayResult, "version" | "alreadyInstalled" | "method">;
}

/**
 * Install a (debug) wheel into a target: copy it in, `pip install --force-reinstall --no-deps` with
 * the target's own interpreter, import its extension module; then check python3-dbg and
 * libpython3-dbg where dpkg exists (they are lost whenever the container is recreated) and
 * re-install them with installMemray when missing. Throws WheelInvalidError (2) and core's
 * InstallFailedError (3).
 */
export async function installDebugWheel(options: InstallDebugWheelOptions): Promise<InstalledDebugWheel> {
  const { target } = options;
  const progress = options.onProgress ?? (() => undefined);
  const step = (name: "copy" | "pip" | "verify" | "debug-symbols", message: string) => progress({ type: "step", step: name, message });
  const inspection = await inspectWheel(options.wheel);
  const module = dottedModule(inspection.modules[0]!.path);
  const python = options.python ?? (target instanceof DockerTarget ? await findServicePython(target.service()) : "python3");
  const wheelName = path.basename(options.wheel);

  const scratch = target.sharesHostFilesystem ? null : await target.scratchDir();
  try {
    let inTarget = path.resolve(options.wheel);
    if (scratch) {
      step("copy", `copying ${wheelName} into ${target.name}`);
      await target.copyIn(inTarget, scratch);
      inTarget = path.posix.join(scratch, wheelName);
    }
    const args = ["install", "--force-reinstall", "--no-deps", "--no-index", "--progress-bar", "off", inTarget];
    step("pip", `${python} -m pip ${args.join(" ")}`);
    const env = { PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1", PIP_ROOT_USER_ACTION: "ignore" };
    let argv = [python, "-m", "pip", ...args];
    let run = await streamed(target, argv, env, progress);
    if (run.exitCode !== 0 && /externally-managed-environment/.test(run.stderr + run.stdout)) {
      step("pip", `${python} is an externally managed system Python; retrying with --break-system-packages`);
      argv = [python, "-m", "pip", "install", "--break-system-packages", ...args.slice(1)];
      run = await streamed(target, argv, env, progress);
    }
    if (run.exitCode !== 0) {
      const unsupported = /is not a supported wheel on this platform/.test(run.stderr + run.stdout);
      throw new InstallFailedError(
        `pip could not install ${wheelName} for ${python} on ${target.name} (exit ${run.exitCode})`,
        target.name,
        argv,
        run.exitCode,
        tailLines(run.stderr || run.stdout),
        {
          hint: unsupported
            ? `the wheel's tags do not match ${python} on ${target.name}: build with a base image of the container's Debian release and Python version (--base-image), or make the crate abi3 (pyo3 feature abi3-py39)`
            : "check the target's interpreter has pip (python -m pip --version)",
        },
      );
    }
  } finally {
    if (scratch) await target.exec(["rm", "-rf", scratch]).catch((error: unknown) => debug("cleanup failed: %O", error));
  }

  step("verify", `importing ${module} with ${python}`);
  const probe = await target.exec([python, "-c", `import importlib; print(importlib.import_module(${JSON.stringify(module)}).__file__)`]);
  if (probe.exitCode !== 0) {
    throw new InstallFailedError(
      `${wheelName} was installed but "import ${module}" fails with ${python} on ${target.name}`,
      target.name,
      [python, "-c", `import ${module}`],
      probe.exitCode,
      tailLines(probe.stderr),
      {
        hint: "an undefined symbol or GLIBC_x.y not found means the wheel was built against another system: build with a base image of the container's Debian release (--base-image)",
      },
    );
  }
  const moduleFile = probe.stdout.trim().split("\n").at(-1) ?? "";
  const installed: InstalledDebugWheel = {
    container: target.name,
    python,
    wheel: wheelName,
    module,
    moduleFile,
    debugPackages: { status: "not-requested", missing: [] },
  };
  if (options.debugSymbols === false) return installed;

  step("debug-symbols", `checking ${DEBUG_PACKAGES.join(" and ")} on ${target.name}`);
  const before = await missingDebugPackages(target);
  if (before === null) {
    const reason = `dpkg is not available on ${target.name} (not a Debian-based image)`;
    step("debug-symbols", `${reason}; CPython frames stay unsymbolised`);
    installed.debugPackages = { status: "unavailable", missing: [], reason };
    return installed;
  }
  if (before.length === 0) {
    step("debug-symbols", `${DEBUG_PACKAGES.join(" and ")} are installed`);
    installed.debugPackages = { status: "present", missing: [] };
    return installed;
  }
  step("debug-symbols", `${before.join(" and ")} missing on ${target.name} (lost when the container was recreated); re-installing`);
  const memray = await installMemray({
    target,
    python,
    debugSymbols: true,
    ...(options.hostCaBundle !== undefined ? { hostCaBundle: options.hostCaBundle } : {}),
    onProgress: (event) => (event.type === "step" ? step("debug-symbols", event.message) : progress(event)),
  });
  if (memray.debugSymbols === "skipped") {
    installed.debugPackages = { status: "unavailable", missing: before, reason: memray.debugSymbolsReason ?? "apt-get is not available" };
    return installed;
  }
  const after = await missingDebugPackages(target);
  installed.debugPackages =
    after && after.length > 0
      ? { status: "reinstalled", missing: before, reason: `still missing: ${after.join(", ")}` }
      : { status: "reinstalled", missing: before };
  installed.memray = { version: memray.version, alreadyInstalled: memray.alreadyInstalled, method: memray.method };
  return installed;
}

/** The debug packages dpkg does not list as installed, or null without dpkg-query. */
async function missingDebugPackages(target: Target): Promise<string[] | null> {
  const result = await target.exec(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n", ...DEBUG_PACKAGES]).catch(() => null);
  if (!result || result.exitCode === 127) return null;
  const installed = new Set(
    result.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([, status]) => status === "ii")
      .map(([name]) => name),
  );
  return DEBUG_PACKAGES.filter((name) => !installed.has(name));
}

/** `pyo3_demo/pyo3_demo.abi3.so` → `pyo3_demo.pyo3_demo`; `fast.cpython-311-x86_64-linux-gnu.so` → `fast`. */
export function dottedModule(modulePath: string): string {
  const parts = modulePath.split("/");
  const file = parts.pop()!;
  return [...parts, file.split(".")[0]!].join(".");
}

function streamed(target: Target, argv: string[], env: Record<string, string>, progress: (event: InstallDebugWheelProgress) => void): Promise<ExecResult> {
  return execLines(target, argv, { env, onLine: (stream, line) => progress({ type: "output", stream, line }) });
}
