import { z } from "zod";

/**
 * The machine-readable files the harness writes beside summary.json. Defined here once: the harness's
 * pytest suite validates what it writes against the generated JSON Schemas; compare reads through them.
 */

/** table.json: the machine twin of table.txt, sorted by size_bytes desc then site. */
export const tableDataSchema = z.looseObject({
  version: z.literal(1),
  /** high_watermark: live at the peak; leaked: never freed (leaks mode). */
  source: z.enum(["high_watermark", "leaked"]),
  total_bytes: z.number().int().min(0),
  sites: z.array(
    z.looseObject({
      /** "path:line" of the innermost Python frame (or native frame). */
      site: z.string(),
      function: z.string().nullable().optional(),
      size_bytes: z.number().int().min(0),
      count: z.number().int().min(0),
      /** memray allocator names, e.g. "malloc" or "malloc,pymalloc_malloc". */
      allocator: z.string().optional(),
    }),
  ),
});

/** The part of `memray stats --json` output (stats.json) that memray-cli reads; memray owns the rest. */
export const statsDataSchema = z.looseObject({
  total_num_allocations: z.number().int().nullable().optional(),
  total_bytes_allocated: z.number().int().nullable().optional(),
  metadata: z.looseObject({ peak_memory: z.number().int().nullable().optional() }).optional(),
});

export const OBJECT_CENSUS_METHODS = ["memray-surviving-objects", "gc-diff"] as const;

export const objectTypeCountSchema = z.object({
  /** "module.Qualname" of the objects' type. */
  type: z.string(),
  count: z.number().int().min(0),
  /** Sum of sys.getsizeof, bytes (shallow). */
  size: z.number().int().min(0),
});

/** memray-objects.json (objects mode): surviving objects by type, largest first. */
export const objectsDataSchema = z.object({
  method: z.enum(OBJECT_CENSUS_METHODS),
  python_version: z.string(),
  total_count: z.number().int().min(0),
  total_size: z.number().int().min(0),
  objects: z.array(objectTypeCountSchema),
});

export type TableData = z.infer<typeof tableDataSchema>;
export type StatsData = z.infer<typeof statsDataSchema>;
export type ObjectsData = z.infer<typeof objectsDataSchema>;
