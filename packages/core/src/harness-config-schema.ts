import { z } from "zod";
import { MODES } from "./modes.js";

/** Reports the harness can make from session.bin (docs/harness-protocol.md). */
export const REPORT_NAMES = ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree", "stats"] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export const endpointRequestSchema = z.object({
  path: z.string().startsWith("/", "an endpoint path starts with /"),
  method: z.string().regex(/^[A-Za-z]+$/, "an HTTP method such as GET or POST"),
  body: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
});
export type EndpointRequest = z.infer<typeof endpointRequestSchema>;

/** The config.json the TypeScript side writes for `python -m memray_harness --config`. */
export const harnessConfigSchema = z.object({
  mode: z.enum(MODES),
  run_id: z.string().min(1),
  out_dir: z.string().min(1),
  artifact_prefix: z.string(),
  script: z.string().nullable(),
  script_path: z.string().nullable(),
  script_args: z.array(z.string()),
  app: z.string().nullable(),
  app_dir: z.string().nullable(),
  modules: z.array(z.string()),
  endpoint: endpointRequestSchema,
  requests: z.number().int().min(1),
  delay_seconds: z.number().min(0),
  native_traces: z.boolean(),
  trace_python_allocators: z.boolean(),
  allow_no_memray: z.boolean(),
  install_requirements: z.boolean(),
  requests_file: z.string().min(1),
  reports: z.array(z.enum(REPORT_NAMES)),
  live_port: z.number().int().min(1).max(65535),
  service_port: z.number().int().min(0).max(65535).nullable(),
  timeout_seconds: z.number().positive().nullable(),
});
export type HarnessConfig = z.infer<typeof harnessConfigSchema>;

export const DEFAULT_LIVE_PORT = 9001;
