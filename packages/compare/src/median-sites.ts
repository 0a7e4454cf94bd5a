import { median } from "./sample-stats.js";
import type { RunData, RunSite } from "./load-run.js";
import { sumSites } from "./sum-sites.js";

/**
 * One side's allocation sites over its runs: per (site, function), the median size and count over the
 * runs, a run without the site counting as 0 bytes. A site held by fewer than half of the runs has a
 * median of 0 and is left out. One run: its sites as they are.
 */
export function medianSites(runs: readonly RunData[]): RunSite[] {
  if (runs.length === 1) return runs[0]!.sites;
  const perRun = runs.map((run) => sumSites(run.sites));
  const keys = [...new Set(perRun.flatMap((map) => [...map.keys()]))].sort();
  const sites: RunSite[] = [];
  for (const key of keys) {
    const any = perRun.find((map) => map.has(key))!.get(key)!;
    const sizeBytes = median(perRun.map((map) => map.get(key)?.sizeBytes ?? 0));
    if (sizeBytes <= 0) continue;
    const count = median(perRun.map((map) => map.get(key)?.count ?? 0));
    sites.push({ site: any.site, function: any.function, sizeBytes, count });
  }
  return sites;
}
