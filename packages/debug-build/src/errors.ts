import { MemrayError, type MemrayErrorOptions } from "@alpiq/memray-core";

/** The source directory is not a maturin/PyO3 project (exit 2). */
export class DebugBuildSourceInvalidError extends MemrayError {
  constructor(
    readonly source: string,
    readonly problem: string,
    options: MemrayErrorOptions = {},
  ) {
    super("DEBUG_BUILD_SOURCE_INVALID", `${source} is not a maturin/PyO3 project: ${problem}`, options);
  }
}

/** A file passed as a wheel is not one: missing, not a zip, or holding no ELF extension module (exit 2). */
export class WheelInvalidError extends MemrayError {
  constructor(
    readonly wheel: string,
    readonly problem: string,
    options: MemrayErrorOptions = {},
  ) {
    super("WHEEL_INVALID", `${wheel} is not a usable wheel: ${problem}`, options);
  }
}

/**
 * The Docker build of the wheel failed (exit 1): the message carries the tail of the build log and
 * where the whole log was saved; the wheel cache was not touched.
 */
export class DebugBuildFailedError extends MemrayError {
  constructor(
    readonly failure: string,
    readonly buildLog: string | null,
    readonly logTail: string,
    options: MemrayErrorOptions = {},
  ) {
    super("DEBUG_BUILD_FAILED", `The debug build failed: ${failure}${indented(logTail)}${buildLog ? `\n  whole build log: ${buildLog}` : ""}`, options);
  }
}

/** The base image is not on this engine and cannot be pulled (exit 3). */
export class BaseImageUnavailableError extends MemrayError {
  constructor(
    readonly image: string,
    readonly detail: string,
    options: MemrayErrorOptions = {},
  ) {
    super("BASE_IMAGE_UNAVAILABLE", `The base image ${image} is not on this Docker engine and cannot be pulled: ${detail}`, {
      ...options,
      hint:
        options.hint ??
        `provide it locally: \`docker pull ${image}\` where a registry is reachable, \`docker load -i image.tar\`, ` +
          "or build the local stand-in with `bash tools/images/rust-base.sh` and pass `--base-image memray-rust-base:bookworm`",
    });
  }
}

/** Debug info a memray report needs, per extension module that lacks it. */
export interface ModuleWithoutDebugInfo {
  /** Path of the extension module inside the wheel. */
  path: string;
  /** Its section names (for the message: what IS there). */
  sections: readonly string[];
}

/** An extension module in the wheel has no `.debug_info` section (exit 1). */
export class DebugInfoMissingError extends MemrayError {
  constructor(
    readonly wheel: string,
    readonly modules: readonly ModuleWithoutDebugInfo[],
    options: MemrayErrorOptions = {},
  ) {
    const names = modules.map((m) => m.path).join(", ");
    const split = modules.some((m) => m.sections.includes(".gnu_debuglink"))
      ? " (it has a .gnu_debuglink: its DWARF was split into a separate file, which memray does not read from the wheel)"
      : "";
    super(
      "DEBUG_INFO_MISSING",
      `${names} in ${wheel} has no .debug_info section${split}: memray cannot resolve its Rust frames to ` +
        "function names with src/<file>.rs:LINE, so reports show them as bare addresses, ?? or <unknown>",
      options,
    );
  }
}

function indented(text: string): string {
  if (!text) return "";
  return `\n${text
    .split("\n")
    .map((line) => `    │ ${line}`)
    .join("\n")}`;
}
