import type { CompareReport, CompareSite } from "@alpiq/memray-core";
import type { RunSite } from "./load-run.js";
import { sumSites } from "./sum-sites.js";

export interface DiffSitesOptions {
  /** Sites whose size changed by less are counted in `below_floor`, not listed. */
  minBytes: number;
  /** At most this many sites listed per category. */
  limit: number;
}

const bySite = (a: CompareSite, b: CompareSite): number => (a.site < b.site ? -1 : a.site > b.site ? 1 : (a.function ?? "").localeCompare(b.function ?? ""));

/**
 * Per-site diff of two runs: new sites, removed sites, and the sites that grew or shrank most.
 * Only changes of at least `minBytes` are listed; the rest are counted.
 */
export function diffSites(baseline: readonly RunSite[], candidate: readonly RunSite[], options: DiffSitesOptions): CompareReport["sites"] {
  const a = sumSites(baseline);
  const b = sumSites(candidate);
  const lists = { new: [] as CompareSite[], removed: [] as CompareSite[], grew: [] as CompareSite[], shrank: [] as CompareSite[] };
  let belowFloor = 0;
  let unchanged = 0;

  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const before = a.get(key);
    const after = b.get(key);
    const any = (after ?? before)!;
    const baselineBytes = before?.sizeBytes ?? null;
    const candidateBytes = after?.sizeBytes ?? null;
    const delta = (candidateBytes ?? 0) - (baselineBytes ?? 0);
    const change: CompareSite = {
      site: any.site,
      function: any.function,
      baseline_bytes: baselineBytes,
      candidate_bytes: candidateBytes,
      delta_bytes: delta,
      delta_pct: baselineBytes ? (100 * delta) / baselineBytes : null,
      baseline_count: before?.count ?? null,
      candidate_count: after?.count ?? null,
    };
    if (delta === 0 && before && after) {
      unchanged += 1;
      continue;
    }
    if (Math.abs(delta) < options.minBytes || delta === 0) {
      belowFloor += 1;
      continue;
    }
    if (!before) lists.new.push(change);
    else if (!after) lists.removed.push(change);
    else if (delta > 0) lists.grew.push(change);
    else lists.shrank.push(change);
  }

  lists.new.sort((x, y) => y.delta_bytes - x.delta_bytes || bySite(x, y));
  lists.grew.sort((x, y) => y.delta_bytes - x.delta_bytes || bySite(x, y));
  lists.removed.sort((x, y) => x.delta_bytes - y.delta_bytes || bySite(x, y));
  lists.shrank.sort((x, y) => x.delta_bytes - y.delta_bytes || bySite(x, y));

  return {
    min_delta_bytes: options.minBytes,
    limit: options.limit,
    new: lists.new.slice(0, options.limit),
    removed: lists.removed.slice(0, options.limit),
    grew: lists.grew.slice(0, options.limit),
    shrank: lists.shrank.slice(0, options.limit),
    counts: {
      new: lists.new.length,
      removed: lists.removed.length,
      grew: lists.grew.length,
      shrank: lists.shrank.length,
      below_floor: belowFloor,
      unchanged,
    },
  };
}

/** The site whose size grew most (new or grown), regardless of the floor; null when none grew. */
export function topGrowingSite(baseline: readonly RunSite[], candidate: readonly RunSite[]): CompareSite | null {
  const all = diffSites(baseline, candidate, { minBytes: 0, limit: 1 });
  const best = [...all.grew, ...all.new].sort((x, y) => y.delta_bytes - x.delta_bytes || bySite(x, y))[0];
  return best && best.delta_bytes > 0 ? best : null;
}
