import { z } from "zod";
import { harnessConfigSchema } from "./harness-config-schema.js";
import { summarySchema } from "./summary-schema.js";
import { compareReportSchema } from "./compare-report-schema.js";

/** JSON Schemas generated from the zod schemas; checked in under `schema/` (a test fails when stale). */
export function jsonSchemas(): Record<string, unknown> {
  return {
    "summary.schema.json": z.toJSONSchema(summarySchema, { target: "draft-2020-12", io: "output" }),
    "harness-config.schema.json": z.toJSONSchema(harnessConfigSchema, { target: "draft-2020-12", io: "input" }),
    "compare-report.schema.json": z.toJSONSchema(compareReportSchema, { target: "draft-2020-12", io: "output" }),
  };
}
