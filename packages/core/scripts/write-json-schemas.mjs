// Regenerates the files derived from core's zod schemas and tables (run after `build`):
// schema/*.json and python/memray_harness/contract.json. `npm run schemas -w @alpiq/memray-core`.
import { writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../dist/index.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const [file, content] of Object.entries(generatedFiles())) {
  const target = join(pkg, file);
  writeFileSync(target, `${JSON.stringify(content, null, 2)}\n`);
  console.log(`wrote ${relative(process.cwd(), target)}`);
}
