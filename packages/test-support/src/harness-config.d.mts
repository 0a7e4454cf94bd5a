import type { HarnessConfig } from "@alpiq/memray-core";

/** What a local harness run must be told; any other key of the config may be given too. */
export type LocalHarnessFields = Pick<HarnessConfig, "run_id" | "out_dir" | "artifact_prefix" | "script_path" | "requests_file" | "reports"> &
  Partial<HarnessConfig>;

/** A complete harness config.json to run a script on this host with `python -m memray_harness --config FILE`. */
export function localHarnessConfig(python: string, fields: LocalHarnessFields): HarnessConfig;
