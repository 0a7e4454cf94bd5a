import { runCompareCommand } from "./run-compare-command.js";

// The standalone `memray-compare` bin (bundled into dist/memray-compare.mjs with its dependencies).
const code = await runCompareCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
