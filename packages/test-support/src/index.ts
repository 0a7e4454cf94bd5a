// Helpers the tests of several packages share. vitest configs come from
// `@alpiq/memray-test-support/vitest-config` (plain ESM: vitest.config.ts files load it with Node).
export { buildZip, demoWheel, type ZipEntrySpec } from "./zip-builder.js";
export { buildElf, extensionModule, type ElfSpec, type SectionSpec } from "./elf-builder.js";
export { captureStream, capturedIo, type CapturedStream, type CapturedIo } from "./captured-io.js";
