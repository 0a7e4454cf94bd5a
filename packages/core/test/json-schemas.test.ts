import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generatedFiles, jsonSchemas } from "../src/json-schemas.js";

const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("generated files (JSON Schemas, the harness contract)", () => {
  for (const [file, content] of Object.entries(generatedFiles())) {
    it(`${file} matches core's schemas and tables (regenerate with \`npm run schemas -w @alpiq/memray-core\`)`, () => {
      const checkedIn = JSON.parse(readFileSync(path.join(pkg, file), "utf8"));
      expect(checkedIn).toEqual(JSON.parse(JSON.stringify(content)));
    });
  }

  it("the summary schema requires every field of the seed's schema", () => {
    const summary = jsonSchemas()["summary.schema.json"] as { required: string[]; properties: Record<string, { required?: string[] }> };
    expect(summary.required).toEqual(
      expect.arrayContaining([
        "run_id",
        "script",
        "timestamp",
        "exit_code",
        "error",
        "duration_seconds",
        "memory",
        "top_allocators",
        "requests",
        "leak_indicators",
        "profiling",
        "artifacts",
      ]),
    );
    expect(summary.properties.memory?.required).toEqual(
      expect.arrayContaining(["rss_before", "rss_after", "rss_delta", "tracemalloc_current", "tracemalloc_peak", "tracemalloc_delta"]),
    );
    expect(summary.properties.leak_indicators?.required).toEqual(expect.arrayContaining(["rss_growth_mb", "monotonic_growth", "likely_leak"]));
  });
});
