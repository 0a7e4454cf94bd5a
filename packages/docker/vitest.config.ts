import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Engine tests probe `docker info` once and build a small fixture image (skipped without an engine).
    globalSetup: ["test/engine/global-setup.ts"],
  },
});
