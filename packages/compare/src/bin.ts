import { runCompareCommand } from "./run-compare-command.js";

// The `memray-compare` bin: bundled into dist/memray-compare.mjs (ESM, for `node` and npm) and into
// dist/standalone/memray-compare.cjs (CommonJS, the script of the standalone executable). No top-level
// await, so that one source serves both formats.
void runCompareCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
});
