import { parseOptions } from "@alpiq/memray-core";
import { z } from "zod";

/** The seed's build image. It cannot be pulled on machines without a registry: pass `baseImage`. */
export const DEFAULT_BASE_IMAGE = "rust:1.88.0-bookworm";

/** The seed's platform: wheels are built for linux/amd64 service containers. */
export const DEFAULT_PLATFORM = "linux/amd64";

/** Installed with maturin when the base image has no `maturin` on PATH. */
export const DEFAULT_MATURIN_VERSION = "1.9.6";

/**
 * apt packages of the seed's build environment: interpreter debug symbols (python3-dbg,
 * libpython3-dbg) and py-mando's native build dependencies; python3-dev/pip/venv for maturin.
 */
export const SEED_APT_PACKAGES = [
  "python3-dev",
  "python3-pip",
  "python3-venv",
  "python3-dbg",
  "libpython3-dbg",
  "cmake",
  "golang",
  "pkg-config",
  "libsmbclient-dev",
] as const;

const IMAGE_REF =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const APT_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?(?:=[A-Za-z0-9.+~:-]+)?$/;

/**
 * What decides the wheel: every field is part of the cache key. Validated once at the edge
 * (parseBuildConfig); the Dockerfile is generated from the parsed value (renderDockerfile).
 */
export const buildConfigSchema = z.strictObject({
  /** Image the wheel is built in (needs rustc/cargo; apt-get and python3 for the seed's packages). */
  baseImage: z.string().trim().regex(IMAGE_REF, { error: 'expects a Docker image reference such as "rust:1.88.0-bookworm"' }).default(DEFAULT_BASE_IMAGE),
  platform: z.enum(["linux/amd64", "linux/arm64"], { error: "expects linux/amd64 or linux/arm64" }).default(DEFAULT_PLATFORM),
  /** CARGO_PROFILE_RELEASE_DEBUG: 2 is full DWARF (the seed's), 0 none (a control build). */
  debugInfo: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: "expects 0, 1 or 2 (CARGO_PROFILE_RELEASE_DEBUG)" }).default(2),
  /** apt packages installed on top of SEED_APT_PACKAGES. */
  aptPackages: z
    .array(z.string().trim().regex(APT_PACKAGE, { error: 'expects Debian package names such as "libssl-dev"' }))
    .default([])
    .transform((packages) => [...new Set(packages)]),
  /** Host paths of shared libraries copied into /usr/local/lib of the build image (the seed's libduckdb.so). */
  copyLibs: z.array(z.string().trim().min(1, { error: "expects paths of shared libraries on the host" })).default([]),
  /** Python interpreter maturin builds for, inside the build image. */
  interpreter: z.string().trim().min(1).default("python3"),
  /** Extra arguments for `maturin build` (e.g. ["--features", "duckdb"]). */
  maturinArgs: z.array(z.string()).default([]),
  /** maturin installed from PyPI when the base image has none. */
  maturinVersion: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+){1,2}$/, { error: 'expects a version such as "1.9.6"' })
    .default(DEFAULT_MATURIN_VERSION),
});

export type BuildConfig = z.output<typeof buildConfigSchema>;
export type BuildConfigInput = z.input<typeof buildConfigSchema>;

/** Validate a build config; throws InvalidOptionError naming the field (through `label`, e.g. a CLI flag). */
export function parseBuildConfig(input: unknown = {}, label?: (field: string) => string): BuildConfig {
  return parseOptions(buildConfigSchema, input, label);
}
