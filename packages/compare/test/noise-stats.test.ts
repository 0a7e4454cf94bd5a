import { describe, expect, it } from "vitest";
import { describeConfidence, median, medianSites, sampleStats, spreadConfidence, type RunData, type RunSite } from "../src/index.js";
import { MiB } from "./fake-runs.js";

const stats = (...values: (number | null)[]) => sampleStats(values);

describe("sampleStats", () => {
  it("median, min, max and the count of the runs that hold the metric; values kept in order", () => {
    expect(stats(30, 10, 20)).toEqual({ median: 20, min: 10, max: 30, runs: 3, values: [30, 10, 20] });
    expect(stats(4, 1, 3, 2)).toMatchObject({ median: 2.5, runs: 4 });
    expect(stats(7, null, 9)).toEqual({ median: 8, min: 7, max: 9, runs: 2, values: [7, null, 9] });
    expect(stats(null, null)).toEqual({ median: null, min: null, max: null, runs: 0, values: [null, null] });
    expect(median([5])).toBe(5);
  });

  it("the median resists one outlier where the mean does not", () => {
    const values = [20, 21, 400];
    expect(median(values)).toBe(21);
    expect(values.reduce((a, b) => a + b) / values.length).toBeGreaterThan(100);
  });
});

describe("spreadConfidence", () => {
  const baseline = stats(10, 16, 30);
  it("within_spread when the candidate median lies inside the baseline's min–max (bounds included)", () => {
    expect(spreadConfidence(baseline, stats(20, 22, 28))).toBe("within_spread");
    expect(spreadConfidence(baseline, stats(30, 30, 40))).toBe("within_spread");
    expect(spreadConfidence(baseline, stats(5, 10, 12))).toBe("within_spread");
  });
  it("median_outside when only the median lies beyond every baseline run; separated when every candidate run does", () => {
    expect(spreadConfidence(baseline, stats(25, 31, 40))).toBe("median_outside");
    expect(spreadConfidence(baseline, stats(31, 35, 40))).toBe("separated");
    expect(spreadConfidence(baseline, stats(2, 9, 12))).toBe("median_outside");
    expect(spreadConfidence(baseline, stats(2, 5, 9))).toBe("separated");
  });
  it("single_run with one baseline run (no spread to judge noise by), n/a when a side lacks the metric", () => {
    expect(spreadConfidence(stats(10), stats(20, 21, 22))).toBe("single_run");
    expect(spreadConfidence(stats(10), stats(10))).toBe("single_run");
    expect(spreadConfidence(stats(null, null), stats(1, 2))).toBe("n/a");
  });
  it("says it in words, for the direction of the change", () => {
    expect(describeConfidence("separated", 5)).toBe("every candidate run above every baseline run");
    expect(describeConfidence("median_outside", -5)).toBe("candidate median below every baseline run");
    expect(describeConfidence("within_spread", 5)).toBe("within baseline spread");
  });
});

describe("medianSites", () => {
  const site = (name: string, mb: number, count = 1): RunSite => ({ site: name, function: "f", sizeBytes: mb * MiB, count });
  const run = (...sites: RunSite[]) => ({ sites }) as unknown as RunData;

  it("takes the median size and count per site over the runs, a run without the site counting as 0", () => {
    const sites = medianSites([
      run(site("a.py:1", 10, 2), site("b.py:2", 4), site("once.py:3", 50)),
      run(site("a.py:1", 30, 4), site("b.py:2", 6)),
      run(site("a.py:1", 12, 3)),
    ]);
    expect(sites).toEqual([
      { site: "a.py:1", function: "f", sizeBytes: 12 * MiB, count: 3 },
      { site: "b.py:2", function: "f", sizeBytes: 4 * MiB, count: 1 },
    ]);
  });

  it("sums a site's duplicate entries within a run before taking the median; one run is passed through", () => {
    const one = run(site("a.py:1", 1), site("a.py:1", 2));
    expect(medianSites([one])).toBe(one.sites);
    expect(medianSites([one, one, run(site("a.py:1", 9))])[0]!.sizeBytes).toBe(3 * MiB);
  });
});
