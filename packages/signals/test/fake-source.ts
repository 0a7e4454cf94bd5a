import type { SignalsSource, SignalsUnit, UnitLogResult, UnitUsage, UsageReading, UsageSkipped } from "@alpiq/memray-core";

/** A unit of a fake runtime: `local-<name>` in project `local`. */
export const unit = (name: string, key = `id-${name}`): SignalsUnit => ({ key, name, service: name.replace(/^local-|-\d+$/g, ""), project: "local" });

const ok = (u: SignalsUnit, memory: number): UnitUsage => ({
  status: "ok",
  error: null,
  service: u.service,
  project: u.project,
  memory_usage: memory,
  memory_limit: 1000,
  memory_percent: memory / 10,
  cpu_percent: 5,
});

export interface FakeSourceOptions extends Partial<Pick<SignalsSource, "unit" | "scope" | "afterUsage" | "findWireMock">> {
  /** What each listUnits() answers, in turn (the last one again after that); an Error is thrown. */
  listings?: Array<SignalsUnit[] | Error>;
  /** A usage reading of the units; default: each ok, 100 bytes before, 200 after, window `window-<phase>`. */
  readUsage?: (units: readonly SignalsUnit[], phase: "before" | "after", since: string | undefined) => Promise<UsageReading<string> | UsageSkipped>;
  /** The logs; default: each unit ok, 10 bytes in logs-<name>.txt (not written). */
  collectLogs?: (units: readonly SignalsUnit[]) => Promise<UnitLogResult[]>;
}

/** Our own SignalsSource as a fake runtime: answers from data, records what the sidecar asked. */
export function fakeSource(options: FakeSourceOptions = {}): SignalsSource<SignalsUnit, string> & { calls: string[] } {
  const calls: string[] = [];
  const listings = options.listings ?? [[unit("local-a-1"), unit("local-b-1")]];
  let listed = 0;
  return {
    calls,
    unit: options.unit ?? "containers",
    scope: options.scope ?? null,
    afterUsage: options.afterUsage ?? "known",
    async listUnits() {
      const answer = listings[Math.min(listed++, listings.length - 1)]!;
      calls.push("list");
      if (answer instanceof Error) throw answer;
      return answer;
    },
    findWireMock: options.findWireMock ?? (() => ({ status: "skipped", reason: "no WireMock in this fake" })),
    async readUsage(units, phase, { since }) {
      calls.push(`usage ${phase} ${units.map((u) => u.name).join(",")}${since ? ` since ${since}` : ""}`);
      if (options.readUsage) return options.readUsage(units, phase, since);
      const readings = Object.fromEntries(units.map((u) => [u.name, ok(u, phase === "before" ? 100 : 200)]));
      return { raw: { phase, containers: readings }, units: readings, window: `window-${phase}` };
    },
    async collectLogs(units) {
      calls.push(`logs ${units.map((u) => u.name).join(",")}`);
      if (options.collectLogs) return options.collectLogs(units);
      return units.map((u) => ({ name: u.name, status: "ok", error: null, service: u.service, project: u.project, file: `logs-${u.name}.txt`, bytes: 10 }));
    },
  };
}
