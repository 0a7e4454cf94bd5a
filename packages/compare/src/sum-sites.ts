import type { RunSite } from "./load-run.js";

const siteKey = (s: { site: string; function: string | null }): string => `${s.site}\u0000${s.function ?? ""}`;

/** A run's sites by (site, function), duplicate entries (the same line through several allocators) summed. */
export function sumSites(sites: readonly RunSite[]): Map<string, RunSite> {
  const map = new Map<string, RunSite>();
  for (const s of sites) {
    const key = siteKey(s);
    const entry = map.get(key);
    if (entry) {
      entry.sizeBytes += s.sizeBytes;
      entry.count += s.count;
    } else {
      map.set(key, { site: s.site, function: s.function, sizeBytes: s.sizeBytes, count: s.count });
    }
  }
  return map;
}
