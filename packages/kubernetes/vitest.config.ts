import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Cluster tests (test/cluster/) run against tools/cluster/cluster (skipped locally when it is down, required in CI).
    fileParallelism: false,
  },
});
