#!/usr/bin/env node
// The `memray-compare` bin: the single-file bundle in dist/. It lives outside dist/ so that npm links
// it even when the package is installed before it is built (npm workspaces link bins at `npm ci`).
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/memray-compare.mjs", import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes(fileURLToPath(entry))) {
    process.stderr.write("memray-compare is not built yet: run `bash tools/setup.sh` (or `npx nx run-many -t build`) first\n");
    process.exit(2);
  }
  throw error;
}
