import { existsSync } from "node:fs";
import path from "node:path";
import createDebug from "debug";
import { InstallFailedError, InvalidOptionError } from "../errors.js";
import { execLines, tailLines } from "../target/exec-lines.js";
import type { ExecResult, Target } from "../target/target.js";

const debug = createDebug("memray:install");

/** The host's CA bundle, handed to pip in the target when it exists (TLS-intercepting proxies). */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

const VERSION_PROBE = "import memray; print(memray.__version__)";

export type InstallProgress =
  | { type: "step"; step: "check" | "pip" | "verify" | "debug-symbols" | "attach"; message: string }
  | { type: "output"; stream: "stdout" | "stderr"; line: string };

export interface InstallMemrayOptions {
  /** Any Target: this host, a container, a pod. */
  target: Target;
  /** Interpreter in the target (default "python3"; resolveTarget finds the service's own). */
  python?: string | undefined;
  /** Host directory of wheels for an offline install (`pip install --no-index --find-links`). */
  wheelhouse?: string | undefined;
  /** Also `apt-get install -y python3-dbg` when the target has apt-get. */
  debugSymbols?: boolean;
  /** Also `apt-get install -y gdb` (mode attach's debugger way) when the target has apt-get. */
  attach?: boolean;
  /** Requirement to install (default "memray"; e.g. "memray==1.20.0"). */
  requirement?: string;
  /** Host CA bundle copied in for pip (default /etc/ssl/certs/ca-certificates.crt when it exists; null: never). */
  hostCaBundle?: string | null;
  onProgress?: (event: InstallProgress) => void;
}

export interface InstallMemrayResult {
  python: string;
  version: string;
  /** memray was importable before: nothing was installed. */
  alreadyInstalled: boolean;
  method: "already-installed" | "online" | "wheelhouse";
  debugSymbols: "installed" | "skipped" | "not-requested";
  /** Why debug symbols were skipped. */
  debugSymbolsReason?: string;
  /** gdb for mode attach (--attach). */
  attachDebugger?: "installed" | "skipped" | "not-requested";
  /** `gdb --version`'s first line, once installed. */
  gdbVersion?: string;
  attachDebuggerReason?: string;
}

/**
 * Make `import memray` work in the target: idempotent (an importable memray is reported and left
 * alone), online with pip (the host's CA bundle handed over) or offline from a wheelhouse, then
 * verified. Throws InstallFailedError (exit 3) with the tail of pip's output, InvalidOptionError
 * (exit 2) for a wheelhouse that does not exist.
 */
export async function installMemray(options: InstallMemrayOptions): Promise<InstallMemrayResult> {
  const { target } = options;
  if (options.wheelhouse !== undefined && !existsSync(path.resolve(options.wheelhouse))) {
    throw new InvalidOptionError(`wheelhouse: expected a directory of wheels on the host, but ${path.resolve(options.wheelhouse)} does not exist`, {
      hint: "build one with buildWheelhouse() / `pip download --only-binary=:all: memray -d DIR`",
    });
  }
  const progress = options.onProgress ?? (() => undefined);
  const step = (name: "check" | "pip" | "verify" | "debug-symbols" | "attach", message: string) => progress({ type: "step", step: name, message });
  const python = options.python ?? "python3";
  const requirement = options.requirement ?? "memray";

  step("check", `checking memray for ${python} on ${target.name}`);
  const before = await target.exec([python, "-c", VERSION_PROBE]);
  let result: InstallMemrayResult;
  if (before.exitCode === 0) {
    const version = before.stdout.trim();
    step("check", `memray ${version} is already installed on ${target.name}; skipping`);
    result = { python, version, alreadyInstalled: true, method: "already-installed", debugSymbols: "not-requested" };
  } else {
    const method = options.wheelhouse ? "wheelhouse" : "online";
    await pipInstall(options, python, requirement, step, progress);
    step("verify", "verifying import memray");
    const after = await target.exec([python, "-c", VERSION_PROBE]);
    if (after.exitCode !== 0) {
      throw new InstallFailedError(
        `memray was installed but "import memray" fails with ${python} on ${target.name}`,
        target.name,
        [python, "-c", VERSION_PROBE],
        after.exitCode,
        tailLines(after.stderr),
        { hint: "memray needs CPython >= 3.9 on Linux x86_64/aarch64 with glibc; check the wheel matches the interpreter" },
      );
    }
    const version = after.stdout.trim();
    step("verify", `memray ${version} installed on ${target.name}`);
    result = { python, version, alreadyInstalled: false, method, debugSymbols: "not-requested" };
  }
  const aptReady = aptUpdateOnce(target, progress);
  if (options.debugSymbols) {
    const apt = await aptInstall(target, aptReady, ["python3-dbg"], (message) => step("debug-symbols", message), progress, "or run without --debug-symbols");
    Object.assign(result, { debugSymbols: apt.status, ...(apt.reason ? { debugSymbolsReason: apt.reason } : {}) });
  }
  if (options.attach) {
    const apt = await aptInstall(
      target,
      aptReady,
      ["gdb"],
      (message) => step("attach", message),
      progress,
      "or start the service with the agent (MEMRAY_CLI_AGENT=1) instead",
    );
    const version = apt.status === "installed" ? (await target.exec(["gdb", "--version"]).catch(() => null))?.stdout.split("\n")[0]?.trim() : undefined;
    Object.assign(result, {
      attachDebugger: apt.status,
      ...(apt.reason ? { attachDebuggerReason: apt.reason } : {}),
      ...(version ? { gdbVersion: version } : {}),
    });
    if (version) step("attach", `${version} installed (mode attach works with gdb >= 14; Debian trixie has 16)`);
  }
  return result;
}

async function pipInstall(
  options: InstallMemrayOptions,
  python: string,
  requirement: string,
  step: (name: "pip", message: string) => void,
  progress: (event: InstallProgress) => void,
): Promise<void> {
  const { target } = options;
  const pipVersion = await target.exec([python, "-m", "pip", "--version"]);
  if (pipVersion.exitCode !== 0) {
    step("pip", `pip is missing for ${python}; trying ensurepip`);
    const ensure = await target.exec([python, "-m", "ensurepip", "--upgrade"]);
    if (ensure.exitCode !== 0) {
      throw new InstallFailedError(
        `pip is not available for ${python} on ${target.name}`,
        target.name,
        [python, "-m", "ensurepip", "--upgrade"],
        ensure.exitCode,
        tailLines(pipVersion.stderr + ensure.stderr),
        { hint: "use an interpreter with pip (a venv: python3 -m venv /opt/venv), or install python3-pip in the image" },
      );
    }
  }
  const env: Record<string, string> = { PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1", PIP_ROOT_USER_ACTION: "ignore" };
  const local = target.sharesHostFilesystem;
  const scratch = local ? null : await target.scratchDir();
  try {
    let args: string[];
    if (options.wheelhouse) {
      let dir = path.resolve(options.wheelhouse);
      if (scratch) {
        step("pip", `copying the wheelhouse ${options.wheelhouse} into ${target.name}`);
        await target.copyIn(dir, scratch);
        dir = path.posix.join(scratch, path.basename(dir));
      }
      args = ["install", "--no-index", "--find-links", dir, requirement];
    } else {
      const ca = options.hostCaBundle === undefined ? HOST_CA_BUNDLE : options.hostCaBundle;
      if (ca && scratch && existsSync(ca)) {
        await target.copyIn(ca, scratch);
        const inTarget = path.posix.join(scratch, path.basename(ca));
        Object.assign(env, { PIP_CERT: inTarget, SSL_CERT_FILE: inTarget, REQUESTS_CA_BUNDLE: inTarget });
      }
      args = ["install", "--progress-bar", "off", requirement];
    }
    step("pip", `pip ${args.join(" ")}`);
    let argv = [python, "-m", "pip", ...args];
    let run = await streamed(target, argv, env, progress);
    if (run.exitCode !== 0 && /externally-managed-environment/.test(run.stderr + run.stdout)) {
      step("pip", `${python} is an externally managed system Python; retrying with --break-system-packages`);
      argv = [python, "-m", "pip", ...args.slice(0, 1), "--break-system-packages", ...args.slice(1)];
      run = await streamed(target, argv, env, progress);
    }
    if (run.exitCode !== 0) {
      throw new InstallFailedError(
        `pip could not install ${requirement} for ${python} on ${target.name} (exit ${run.exitCode})`,
        target.name,
        argv,
        run.exitCode,
        tailLines(run.stderr || run.stdout),
        {
          hint: options.wheelhouse
            ? "check the wheelhouse has wheels for this Python version and platform (buildWheelhouse({ pythonVersion }))"
            : "check the target reaches the package index, or install offline with --wheelhouse DIR",
        },
      );
    }
  } finally {
    if (scratch) await target.exec(["rm", "-rf", scratch]).catch((error) => debug("cleanup failed: %O", error));
  }
}

function streamed(target: Target, argv: string[], env: Record<string, string>, progress: (event: InstallProgress) => void): Promise<ExecResult> {
  return execLines(target, argv, { env, onLine: (stream, line) => progress({ type: "output", stream, line }) });
}

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };

/** `apt-get update`'s result, or null where the target has no apt-get; `say` is the step of the first caller. */
type AptReady = (say: (message: string) => void) => Promise<ExecResult | null>;

/** The `apt-get --version` probe and `apt-get update`, run once per install however many packages follow. */
function aptUpdateOnce(target: Target, progress: (event: InstallProgress) => void): AptReady {
  let ready: Promise<ExecResult | null> | undefined;
  return (say) =>
    (ready ??= (async () => {
      const apt = await target.exec(["apt-get", "--version"]).catch(() => null);
      if (apt?.exitCode !== 0) return null;
      say("apt-get update");
      return streamed(target, ["apt-get", "update"], APT_ENV, progress);
    })());
}

/** `apt-get install -y PACKAGES` where the target has apt-get (skipped, with the reason, where it has not). */
async function aptInstall(
  target: Target,
  aptReady: AptReady,
  packages: readonly string[],
  say: (message: string) => void,
  progress: (event: InstallProgress) => void,
  otherwise: string,
): Promise<{ status: "installed" | "skipped"; reason?: string }> {
  const update = await aptReady(say);
  if (!update) {
    const reason = `apt-get is not available on ${target.name}`;
    say(`${reason}; skipping ${packages.join(", ")}`);
    return { status: "skipped", reason };
  }
  const argv = ["apt-get", "install", "-y", "--no-install-recommends", ...packages];
  say(argv.join(" "));
  const install = await streamed(target, argv, APT_ENV, progress);
  if (install.exitCode !== 0) {
    throw new InstallFailedError(
      `apt-get could not install ${packages.join(", ")} on ${target.name} (exit ${install.exitCode})`,
      target.name,
      argv,
      install.exitCode,
      tailLines(install.stderr || update.stderr),
      { hint: `apt-get needs root in the container and access to the Debian mirror; ${otherwise}` },
    );
  }
  return { status: "installed" };
}
