import { packageVitestConfig } from "@alpiq/memray-test-support/vitest-config";

// Engine tests probe `docker info` and build memray-rust-base:bookworm once (tools/images/rust-base.sh).
export default packageVitestConfig({ hookTimeout: 600_000, globalSetup: ["test/engine/global-setup.ts"] });
