import { existsSync } from "node:fs";
import path from "node:path";
import { formatBytes, InvalidOptionError } from "@alpiq/memray-core";
import {
  buildDebugWheel,
  inspectWheel,
  installDebugWheel,
  parseBuildConfig,
  verifyWheel,
  type DebugWheel,
  type InstalledDebugWheel,
  type WheelInspection,
} from "@alpiq/memray-debug-build";
import { DockerTarget } from "@alpiq/memray-docker";
import type Docker from "dockerode";
import pc from "picocolors";
import type { CliIo } from "./cli-io.js";
import { ProgressReporter } from "./progress-reporter.js";
import { parsePythonBool } from "./python-bool.js";

/** Flags of `memray-cli debug-build` and the `-e` keys of `run debug/memray-debug-build` (strings there). */
export interface DebugBuildFlags {
  source?: string | boolean;
  baseImage?: string | boolean;
  installInto?: string | boolean;
  cacheDir?: string | boolean;
  rebuild?: string | boolean;
  aptPackage?: string[];
  copyLib?: string[];
  python?: string | boolean;
  jobs?: string | boolean;
  verify?: string | boolean;
  json?: string | boolean;
}

/** The CLI's names of build config fields, for validation messages. */
const FLAG_OF: Record<string, string> = { baseImage: "--base-image", aptPackages: "--apt-package", copyLibs: "--copy-lib" };

export interface DebugBuildCommandDeps {
  /** The Docker client (constructed lazily by createDefaultDeps; not connected until used). */
  docker: () => Promise<Docker>;
}

/**
 * `memray-cli debug-build --source DIR [--install-into C]`, `run debug/memray-debug-build -e source_dir=DIR`
 * and the menu's "Install memray + debug build": build (or take from the cache) a wheel with full
 * DWARF, verify it, print its debug sections, optionally install it into a container. The last stdout
 * line is the wheel; with --json stdout is one object `{wheel, cached, key, debug_sections, ...}`.
 */
export async function debugBuildCommand(io: CliIo, flags: DebugBuildFlags, deps: DebugBuildCommandDeps): Promise<number> {
  const str = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : undefined);
  const json = flags.json === true || (typeof flags.json === "string" && parsePythonBool("--json", flags.json));
  if (str(flags.verify)) return verifyOnly(io, path.resolve(io.cwd, str(flags.verify)!), json);

  const source = str(flags.source);
  if (!source) throw new InvalidOptionError("debug-build needs --source DIR, the maturin/PyO3 project (or -e source_dir=DIR)");
  const rebuild = flags.rebuild === true || (typeof flags.rebuild === "string" && parsePythonBool("--rebuild", flags.rebuild));
  let jobs: number | undefined;
  if (str(flags.jobs)) {
    jobs = Number(str(flags.jobs));
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256)
      throw new InvalidOptionError(`--jobs expects a whole number of cargo jobs from 1 to 256, received "${str(flags.jobs)}"`);
  }
  const copyLibs = (flags.copyLib ?? []).map((lib) => path.resolve(io.cwd, lib));
  const config = parseBuildConfig(
    {
      ...(str(flags.baseImage) ? { baseImage: str(flags.baseImage) } : {}),
      aptPackages: flags.aptPackage ?? [],
      copyLibs,
    },
    (field) => FLAG_OF[field] ?? field,
  );
  for (const lib of flags.copyLib ?? []) {
    if (!existsSync(path.resolve(io.cwd, lib)))
      throw new InvalidOptionError(`--copy-lib: ${lib} does not exist (a shared library to copy into the build image)`);
  }

  const reporter = new ProgressReporter(io.stderr, false, io.env);
  let wheel: DebugWheel;
  let installed: InstalledDebugWheel | undefined;
  try {
    const docker = await deps.docker();
    wheel = await buildDebugWheel({
      source: path.resolve(io.cwd, source),
      config,
      cacheDir: path.resolve(io.cwd, str(flags.cacheDir) ?? "/tmp/pymando-debug"),
      rebuild,
      docker,
      jobs,
      signal: io.signal,
      onProgress: (event) => (event.type === "step" ? reporter.step(event.message) : reporter.info(pc.dim(`│ ${event.line}`))),
    });
    reporter.finish(true);
    io.stderr.write(
      `${pc.green("✔")} ${wheel.cached ? "cached" : "built"} ${wheel.wheel} ${pc.dim(`(key ${wheel.key}, ${wheel.seconds.toFixed(1)}s${wheel.cached ? ", from the cache" : ""})`)}\n`,
    );
    io.stderr.write(sectionTable(wheel));
    const container = str(flags.installInto);
    if (container) {
      const installer = new ProgressReporter(io.stderr, false, io.env);
      try {
        installer.step(`connecting to container ${container}`);
        const target = await DockerTarget.connect({ docker, container });
        installed = await installDebugWheel({
          target,
          wheel: wheel.wheel,
          python: str(flags.python),
          onProgress: (event) => (event.type === "step" ? installer.step(event.message) : installer.info(pc.dim(`│ ${event.line}`))),
        });
        installer.finish(true);
      } catch (error) {
        installer.finish(false);
        throw error;
      }
      io.stderr.write(`${pc.green("✔")} installed ${installed.wheel} into ${installed.container} for ${installed.python} (${installed.moduleFile})\n`);
      io.stderr.write(`  ${describeDebugPackages(installed)}\n`);
    }
  } catch (error) {
    reporter.finish(false);
    throw error;
  }

  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        wheel: wheel.wheel,
        cached: wheel.cached,
        key: wheel.key,
        debug_sections: wheel.debugSections,
        build_log: wheel.buildLog,
        project: wheel.project,
        seconds: Number(wheel.seconds.toFixed(3)),
        revision: wheel.revision,
        modules: wheel.modules.map((m) => ({ path: m.path, machine: m.machine, size: m.size, debug_sections: m.debugSections })),
        ...(installed ? { installed } : {}),
      })}\n`,
    );
  } else {
    io.stdout.write(`${wheel.wheel}\n`);
  }
  return 0;
}

/** `--verify WHEEL`: the debug sections of a wheel's extension modules; exit 1 when .debug_info is missing. */
async function verifyOnly(io: CliIo, wheel: string, json: boolean): Promise<number> {
  let inspection: WheelInspection;
  try {
    inspection = await verifyWheel(wheel);
  } catch (error) {
    // Show what IS there before the error says what is missing.
    const seen = await inspectWheel(wheel).catch(() => null);
    if (seen) io.stderr.write(sectionTable(seen));
    throw error;
  }
  io.stderr.write(`${pc.green("✔")} ${wheel} has DWARF debug info: memray can resolve its Rust frames\n`);
  io.stderr.write(sectionTable(inspection));
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ wheel: inspection.wheel, debug_sections: inspection.debugSections, modules: inspection.modules.map((m) => ({ path: m.path, machine: m.machine, size: m.size, debug_sections: m.debugSections })) })}\n`,
    );
  } else {
    io.stdout.write(`${inspection.wheel}\n`);
  }
  return 0;
}

/** The debug sections of each extension module, one per line with its size. */
export function sectionTable(inspection: Pick<WheelInspection, "modules">): string {
  const lines: string[] = [];
  for (const module of inspection.modules) {
    const sections = Object.entries(module.debugSections);
    const total = sections.reduce((sum, [, size]) => sum + size, 0);
    lines.push(`  debug sections of ${module.path} (${module.machine}, ${formatBytes(module.size)}):${sections.length ? "" : " none"}`);
    const width = Math.max(0, ...sections.map(([name]) => name.length));
    for (const [name, size] of sections) lines.push(`    ${name.padEnd(width)}  ${formatBytes(size).padStart(10)}`);
    if (sections.length > 1) lines.push(`    ${"total".padEnd(width)}  ${formatBytes(total).padStart(10)}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeDebugPackages(installed: InstalledDebugWheel): string {
  const { debugPackages: status } = installed;
  switch (status.status) {
    case "present":
      return "python3-dbg and libpython3-dbg: installed";
    case "reinstalled":
      return `python3-dbg and libpython3-dbg: re-installed (${status.missing.join(", ")} were missing: they are lost whenever the container is recreated)${status.reason ? `; ${status.reason}` : ""}`;
    case "unavailable":
      return `python3-dbg and libpython3-dbg: not installed (${status.reason ?? "no apt"})`;
    default:
      return "python3-dbg and libpython3-dbg: not checked";
  }
}
