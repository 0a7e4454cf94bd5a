// The public API of @alpiq/memray-debug-build, by name (README.md describes each group). Everything
// else (Docker build plumbing, the zip-member reader, TOML peeking) is internal.

// Build, cache, verify, install
export {
  buildDebugWheel,
  describeRevision,
  HOST_CA_BUNDLE,
  type BuildDebugWheelOptions,
  type DebugWheel,
  type DebugBuildProgress,
  type DebugBuildStep,
} from "./build-debug-wheel.js";
export { inspectWheel, verifyWheel, isExtensionModulePath, type WheelInspection, type ExtensionModule } from "./verify-wheel.js";
export {
  installDebugWheel,
  DEBUG_PACKAGES,
  type InstallDebugWheelOptions,
  type InstalledDebugWheel,
  type InstallDebugWheelProgress,
  type DebugPackagesStatus,
} from "./install-debug-wheel.js";

// Config and the generated Dockerfiles
export {
  buildConfigSchema,
  parseBuildConfig,
  DEFAULT_BASE_IMAGE,
  DEFAULT_PLATFORM,
  DEFAULT_MATURIN_VERSION,
  SEED_APT_PACKAGES,
  type BuildConfig,
  type BuildConfigInput,
} from "./build-config.js";
export { renderToolchainDockerfile, renderWheelDockerfile, type ToolchainFiles } from "./dockerfile.js";

// Source, build context and cache
export { readMaturinProject, type MaturinProject } from "./maturin-project.js";
export { listSourceFiles, packBuildContext, type SourceFiles, type ContextExtra, type GitFactory } from "./build-context.js";
export { sourceRevision, cacheKey, type SourceRevision } from "./source-revision.js";
export { WheelCache, DEFAULT_CACHE_DIR, type CacheEntry, type CachedWheel } from "./wheel-cache.js";

// ELF section headers
export {
  readElfSections,
  bufferElfSource,
  debugSections,
  hasDebugInfo,
  isElf,
  ElfFormatError,
  type ElfFile,
  type ElfSection,
  type ElfSource,
} from "./elf-sections.js";

// Errors
export {
  DebugBuildSourceInvalidError,
  WheelInvalidError,
  DebugBuildFailedError,
  BaseImageUnavailableError,
  DebugInfoMissingError,
  type ModuleWithoutDebugInfo,
} from "./errors.js";
