// Regenerates schema/*.json from the zod schemas (run after `build`): `npm run schemas`.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchemas } from "../dist/index.js";

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), "..", "schema");
for (const [file, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(schemaDir, file), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schema/${file}`);
}
