import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Engine tests probe `docker info` and build memray-rust-base:bookworm once (tools/images/rust-base.sh).
    globalSetup: ["test/engine/global-setup.ts"],
  },
});
