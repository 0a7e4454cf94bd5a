import { z } from "zod";
import { signalsSchema } from "./summary-schema.js";

/**
 * Sections of summary.json that only the host can know (signals collected around the workload),
 * handed to the harness so it still writes summary.json once and complete: the host writes this
 * file into the harness's out_dir after the workload ended; the harness waits for it (bounded by
 * config.host_sections_wait_seconds), merges it, and deletes it.
 */
export const HOST_SECTIONS_FILE = "host-sections.json";

export const hostSectionsSchema = z.object({
  signals: signalsSchema.optional(),
  /** summary.artifacts entries of files the host wrote (key → run-relative path). */
  artifacts: z.record(z.string(), z.string()).default({}),
  warnings: z.array(z.string()).default([]),
});
export type HostSections = z.output<typeof hostSectionsSchema>;
