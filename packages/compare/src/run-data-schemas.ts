import { z } from "zod";

/** table.json written by the harness beside summary.json (docs/harness-protocol.md). */
export const tableDataSchema = z.looseObject({
  version: z.number().int(),
  source: z.string(),
  total_bytes: z.number(),
  sites: z.array(
    z.looseObject({
      site: z.string(),
      function: z.string().nullable().optional(),
      size_bytes: z.number(),
      count: z.number(),
      allocator: z.string().optional(),
    }),
  ),
});

/** The part of `memray stats --json` output (stats.json) that compare reads. */
export const statsDataSchema = z.looseObject({
  total_num_allocations: z.number().nullable().optional(),
  total_bytes_allocated: z.number().nullable().optional(),
  metadata: z.looseObject({ peak_memory: z.number().nullable().optional() }).optional(),
});

/** `summary.memray_stats` added by memray runs (all bytes, except the count). */
export const memrayStatsSchema = z.looseObject({
  peak_memory: z.number().nullable().optional(),
  total_allocations: z.number().nullable().optional(),
  total_bytes_allocated: z.number().nullable().optional(),
});

export type TableData = z.infer<typeof tableDataSchema>;
export type StatsData = z.infer<typeof statsDataSchema>;

/** "path: message; path: message" from a zod error (first five issues). */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}
