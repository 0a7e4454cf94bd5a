import { z } from "zod";
import { harnessContract } from "./contract.js";
import { compareReportSchema } from "./compare-report-schema.js";
import { harnessConfigSchema } from "./harness-config-schema.js";
import { objectsDataSchema, statsDataSchema, tableDataSchema } from "./run-data-schemas.js";
import { summarySchema } from "./summary-schema.js";
import { CLI_OUTPUT_SCHEMAS } from "./cli-output-schemas.js";

const toJson = (schema: z.ZodType, io: "input" | "output" = "output", metadata?: z.core.$ZodRegistry<{ id: string }>) =>
  z.toJSONSchema(schema, { target: "draft-2020-12", io, ...(metadata ? { metadata } : {}) });

/**
 * cli-profile holds the summary and the compare report at the top and again in each of `runs`: there
 * they are defined once, under `$defs` (`summary`, `compare_report`); every other schema stays inline.
 */
function profileDefinitions(): z.core.$ZodRegistry<{ id: string }> {
  const registry = z.registry<{ id: string }>();
  registry.add(summarySchema, { id: "summary" });
  registry.add(compareReportSchema, { id: "compare_report" });
  return registry;
}

/** JSON Schemas generated from the zod schemas; checked in under `schema/` (a test fails when stale). */
export function jsonSchemas(): Record<string, unknown> {
  return {
    "summary.schema.json": toJson(summarySchema),
    "harness-config.schema.json": toJson(harnessConfigSchema, "input"),
    "table.schema.json": toJson(tableDataSchema),
    "stats.schema.json": toJson(statsDataSchema),
    "objects.schema.json": toJson(objectsDataSchema),
    "compare-report.schema.json": toJson(compareReportSchema),
    // `memray-cli <command> --json`: cli-profile, cli-runs-list, ..., cli-error.
    ...Object.fromEntries(
      Object.entries(CLI_OUTPUT_SCHEMAS).map(([command, schema]) => [
        `cli-${command.replace(/ /g, "-")}.schema.json`,
        toJson(schema, "output", command === "profile" ? profileDefinitions() : undefined),
      ]),
    ),
  };
}

/**
 * Every file generated from core's schemas and tables, by path relative to the package directory:
 * the JSON Schemas, and the harness's contract.json. `npm run schemas` writes them; a test fails when
 * a checked-in copy is stale.
 */
export function generatedFiles(): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(jsonSchemas()).map(([file, schema]) => [`schema/${file}`, schema])),
    "../../python/memray_harness/contract.json": harnessContract(),
  };
}
