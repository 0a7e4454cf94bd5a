import { defineConfig } from "tsup";
import { libraryBuild } from "../../tsup.base.js";

export default defineConfig([
  // The library: dependencies stay external (installed with the package).
  libraryBuild,
  {
    // The standalone bin: one file with zod, picocolors and core bundled in; runs with plain `node`
    // from any directory without node_modules. `require` is provided for bundled CommonJS modules.
    entry: { "memray-compare": "src/bin.ts" },
    format: ["esm"],
    outExtension: () => ({ js: ".mjs" }),
    platform: "node",
    target: "node20",
    noExternal: [/.*/],
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    banner: {
      js: [
        "#!/usr/bin/env node",
        'import { createRequire as __memrayCreateRequire } from "node:module";',
        "const require = __memrayCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  },
]);
