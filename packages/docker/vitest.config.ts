import { packageVitestConfig } from "@alpiq/memray-test-support/vitest-config";

// Engine tests probe `docker info` once and build a small fixture image (skipped without an engine).
export default packageVitestConfig({ hookTimeout: 600_000, globalSetup: ["test/engine/global-setup.ts"] });
