// Copies the Python harness (python/memray_harness + memray-runner.py) into this package so the
// published package carries it (see src/harness-locator.ts).
import { cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(pkg, "..", "..", "python");
const dest = join(pkg, "python");
if (!existsSync(join(source, "memray_harness"))) {
  console.error(`stage-harness: ${source}/memray_harness not found`);
  process.exit(1);
}
rmSync(dest, { recursive: true, force: true });
cpSync(join(source, "memray_harness"), join(dest, "memray_harness"), {
  recursive: true,
  filter: (src) => !src.includes("__pycache__"),
});
cpSync(join(source, "memray-runner.py"), join(dest, "memray-runner.py"));
