// Plain ESM (not TypeScript): vitest loads a package's vitest.config.ts with Node, which imports the
// packages that file names as they are, untranspiled.
import { defineConfig } from "vitest/config";

/**
 * The vitest config of a package: its test/**\/*.test.ts files, 120 s per test and per hook unless
 * `options` say otherwise; any other vitest `test` option (globalSetup, setupFiles, fileParallelism)
 * is passed through.
 *
 * @param {import("./vitest-config.d.mts").PackageTestOptions} [options]
 */
export function packageVitestConfig(options = {}) {
  return defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000, ...options } });
}
