// Helpers the tests of several packages share. The cluster helpers are `@alpiq/memray-test-support/cluster`
// (importing them asks tools/cluster for the cluster's environment); vitest configs come from
// `@alpiq/memray-test-support/vitest-config`, the harness's local config from `.../harness-config`.
export { skipOrFail } from "./skip-or-fail.js";
export { buildZip, demoWheel, type ZipEntrySpec } from "./zip-builder.js";
export { buildElf, extensionModule, type ElfSpec, type SectionSpec } from "./elf-builder.js";
export { captureStream, capturedIo, type CapturedStream, type CapturedIo } from "./captured-io.js";
export { watchStderr, type StderrWatcher } from "./stderr-watcher.js";
export { driveLiveWeb, LIVE_WEB_CLIENT, type LiveWebRun } from "./live-web.js";
