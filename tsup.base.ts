import type { Options } from "tsup";

/** What every package's library build shares: ESM for Node 20, types, source maps. */
export const libraryBuild: Options = {
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
};
