import type { UserConfig } from "vitest/config";

export type PackageTestOptions = NonNullable<UserConfig["test"]>;

/** The vitest config of a package: test/**\/*.test.ts, 120 s per test and per hook unless `options` say otherwise. */
export function packageVitestConfig(options?: PackageTestOptions): UserConfig;
