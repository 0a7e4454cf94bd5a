#!/usr/bin/env node
// The `memray-cli` bin. It lives outside dist/ so that npm links it even when the package is installed
// before it is built (npm workspaces link bins at `npm ci`, before any build): `npx memray-cli` then
// works in a fresh clone as soon as the build has run.
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/bin.js", import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes(fileURLToPath(entry))) {
    process.stderr.write("memray-cli is not built yet: run `bash tools/setup.sh` (or `npx nx run-many -t build`) first\n");
    process.exit(3);
  }
  throw error;
}
