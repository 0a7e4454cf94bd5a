import { defineConfig } from "tsup";
import { libraryBuild } from "../../tsup.base.js";
import { singleFileBin } from "./scripts/single-file-bin.mjs";

export default defineConfig([
  // The library: dependencies stay external (installed with the package).
  libraryBuild,
  {
    // The standalone bin: one file with zod, picocolors and core bundled in; runs with plain `node`
    // from any directory without node_modules. `require` is provided for bundled CommonJS modules.
    ...singleFileBin,
    entry: { "memray-compare": "src/bin.ts" },
    format: ["esm"],
    outExtension: () => ({ js: ".mjs" }),
    banner: {
      js: [
        "#!/usr/bin/env node",
        'import { createRequire as __memrayCreateRequire } from "node:module";',
        "const require = __memrayCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  },
]);
