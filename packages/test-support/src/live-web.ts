import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Summary } from "@alpiq/memray-core";
import { expect } from "vitest";
import { watchStderr } from "./stderr-watcher.js";

/**
 * memray's own live client (what `memray live PORT` uses), on the host: read one snapshot after three
 * requests to the service's /leak; prints the sites of the service's package (argv[3]) it saw.
 */
export const LIVE_WEB_CLIENT = `
import sys, time, urllib.request
from memray import SocketReader
port, service, package = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with SocketReader(port=port) as reader:
    for _ in range(3):
        urllib.request.urlopen(service + "leak", timeout=30).read()
    time.sleep(2)
    records = list(reader.get_current_snapshot(merge_threads=True))
    sites = {f"{frame[1]}:{frame[2]}" for r in records for frame in r.stack_trace()[:1]}
    print("SITES", *sorted(s for s in sites if package in s))
`;

export interface LiveWebRun {
  exitCode: number | undefined;
  stderr: string;
  /** The run's summary.json. */
  summary: Summary;
}

/**
 * Drive a `memray-cli profile --mode live-web` run of a fixture service (`servicePackage`, default the
 * forecast service's), started as `child` in `cwd` (call this right after starting it), as a user would:
 * wait for the live port and the service URL it announces, connect memray's live client and check it
 * sees the service package's allocations (its GET /leak).
 * When that fails the run is stopped with Ctrl-C, so it cleans up in the target before the test fails.
 * Then the run must end with exit 0; returns it with its summary.json.
 */
export async function driveLiveWeb(child: ResultPromise, cwd: string, servicePackage = "forecast_service"): Promise<LiveWebRun> {
  const stderr = watchStderr(child);
  try {
    const [, live] = await stderr.waitFor(/memray live (\d+)/);
    const [, service] = await stderr.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/)/);
    const client = await execa("python3", ["-c", LIVE_WEB_CLIENT, live!, service!, servicePackage], { reject: false, timeout: 60_000 });
    expect(client.exitCode, client.stderr).toBe(0);
    expect(client.stdout).toMatch(new RegExp(`SITES .*${servicePackage}/app\\.py:\\d+`));
  } catch (error) {
    child.kill("SIGINT");
    await child;
    throw error;
  }
  const result = await child;
  expect(result.exitCode, String(result.stderr)).toBe(0);
  const runDir = path.join(cwd, String(result.stdout).trim().split("\n").at(-1)!);
  const summary = JSON.parse(await readFile(path.join(runDir, "summary.json"), "utf8"));
  return { exitCode: result.exitCode, stderr: String(result.stderr), summary };
}
