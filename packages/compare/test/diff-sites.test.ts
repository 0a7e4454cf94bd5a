import { describe, expect, it } from "vitest";
import { diffSites, topGrowingSite, type RunSite } from "../src/index.js";
import { MiB } from "./fake-runs.js";

const site = (name: string, mb: number, fn: string | null = "f", count = 1): RunSite => ({ site: name, function: fn, sizeBytes: mb * MiB, count });

describe("diffSites", () => {
  const baseline = [site("a.py:1", 10), site("b.py:2", 5), site("gone.py:3", 4), site("small.py:4", 0.1), site("same.py:5", 3)];
  const candidate = [site("a.py:1", 16), site("b.py:2", 2), site("new.py:9", 7), site("small.py:4", 0.5), site("same.py:5", 3)];

  it("lists new, removed, grown and shrunk sites, biggest change first, above the floor", () => {
    const diff = diffSites(baseline, candidate, { minBytes: MiB, limit: 10 });
    expect(diff.grew.map((s) => s.site)).toEqual(["a.py:1"]);
    expect(diff.grew[0]).toMatchObject({ baseline_bytes: 10 * MiB, candidate_bytes: 16 * MiB, delta_bytes: 6 * MiB, delta_pct: 60 });
    expect(diff.shrank.map((s) => s.site)).toEqual(["b.py:2"]);
    expect(diff.new).toEqual([expect.objectContaining({ site: "new.py:9", baseline_bytes: null, delta_pct: null, baseline_count: null })]);
    expect(diff.removed).toEqual([expect.objectContaining({ site: "gone.py:3", candidate_bytes: null, delta_bytes: -4 * MiB })]);
    expect(diff.counts).toEqual({ new: 1, removed: 1, grew: 1, shrank: 1, below_floor: 1, unchanged: 1 });
  });

  it("limits each list but counts everything", () => {
    const many = Array.from({ length: 5 }, (_, i) => site(`n${i}.py:1`, i + 2));
    const diff = diffSites([], many, { minBytes: MiB, limit: 2 });
    expect(diff.new.map((s) => s.site)).toEqual(["n4.py:1", "n3.py:1"]);
    expect(diff.counts.new).toBe(5);
  });

  it("sums duplicate (site, function) entries", () => {
    const diff = diffSites([site("a.py:1", 1), site("a.py:1", 1)], [site("a.py:1", 4)], { minBytes: 0, limit: 10 });
    expect(diff.grew[0]).toMatchObject({ baseline_bytes: 2 * MiB, baseline_count: 2, delta_bytes: 2 * MiB });
  });

  it("finds the site that grew most regardless of the floor", () => {
    expect(topGrowingSite(baseline, candidate)?.site).toBe("new.py:9");
    expect(topGrowingSite(baseline, baseline)).toBeNull();
    expect(topGrowingSite([site("x.py:1", 1)], [site("x.py:1", 1.001)])?.site).toBe("x.py:1");
  });
});
