import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { jsonSchemas } from "../src/index.js";

const schemaDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "schema");

describe("checked-in JSON Schemas", () => {
  for (const [file, schema] of Object.entries(jsonSchemas())) {
    it(`schema/${file} matches the zod schema (regenerate with \`npm run schemas -w @alpiq/memray-core\`)`, () => {
      const checkedIn = JSON.parse(readFileSync(path.join(schemaDir, file), "utf8"));
      expect(checkedIn).toEqual(JSON.parse(JSON.stringify(schema)));
    });
  }

  it("the summary schema requires every field of the seed's schema", () => {
    const summary = jsonSchemas()["summary.schema.json"] as { required: string[]; properties: Record<string, { required?: string[] }> };
    expect(summary.required).toEqual(
      expect.arrayContaining(["run_id", "script", "timestamp", "exit_code", "error", "duration_seconds", "memory", "top_allocators", "requests", "leak_indicators", "profiling", "artifacts"]),
    );
    expect(summary.properties.memory?.required).toEqual(
      expect.arrayContaining(["rss_before", "rss_after", "rss_delta", "tracemalloc_current", "tracemalloc_peak", "tracemalloc_delta"]),
    );
    expect(summary.properties.leak_indicators?.required).toEqual(expect.arrayContaining(["rss_growth_mb", "monotonic_growth", "likely_leak"]));
  });
});
