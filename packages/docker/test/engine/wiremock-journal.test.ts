import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignalsSidecar, type SignalsSidecar } from "@alpiq/memray-signals";
import {
  docker,
  engineReady,
  FORECAST,
  httpGet,
  publishedPort,
  removeQuietly,
  scratchRunDir,
  sidecarFor,
  throwaway,
  waitForWireMock,
  WIREMOCK_IMAGE,
} from "./signals-helpers.js";

/**
 * A Compose project of our own (a WireMock with the stack's stubs and a target beside it): the stack's
 * local-wiremock-1 is shared with every container run of the CLI's tests, which reset its journal.
 */
const ready = await engineReady([FORECAST]);
const PROJECT = `memray-sig-wm-${process.pid}`;
const WIREMOCK = `${PROJECT}-wiremock`;
const TARGET = `${PROJECT}-target`;
const marker = `p${process.pid}-${Date.now()}`;
let wiremockUrl = "";

interface JournalEntry {
  request: { url: string; method: string };
  response?: { status: number };
  wasMatched?: boolean;
}
const readJournal = async (dir: string, file: string) => JSON.parse(await readFile(path.join(dir, file), "utf8")) as { requests: JournalEntry[] };
const urlOf = (entry: JournalEntry | { url: string }) => ("request" in entry ? entry.request.url : entry.url);

/** A loopback port nothing listens on (taken from the kernel, then let go). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

describe.runIf(ready)("WireMock journal (a real WireMock in a throwaway Compose project)", () => {
  beforeAll(async () => {
    const wiremock = await docker.getImage(WIREMOCK_IMAGE).inspect();
    await throwaway(WIREMOCK, wiremock.Config.Cmd!, { project: PROJECT, service: "wiremock", image: WIREMOCK_IMAGE, publish: "8080/tcp" });
    await throwaway(TARGET, ["sleep", "600"], { project: PROJECT, service: "target" });
    wiremockUrl = `http://127.0.0.1:${await publishedPort(docker.getContainer(WIREMOCK), "8080/tcp")}`;
    await waitForWireMock(wiremockUrl);
  });
  afterAll(() => removeQuietly(WIREMOCK, TARGET));
  const call = (path: string) => httpGet(`${wiremockUrl}${path}`);

  it("calls made before the run are not in the journal; the run's calls are, each once; the unstubbed one is unmatched", async () => {
    expect(await call(`/api/weather?probe=before-${marker}`)).toBe(200);
    const runDir = await scratchRunDir();
    const sidecar = await sidecarFor(TARGET);
    await sidecar.before(runDir);
    expect(await call(`/api/weather?probe=during-${marker}`)).toBe(200);
    expect(await call(`/api/prices?probe=during-${marker}`)).toBe(200);
    expect(await call(`/api/unstubbed-${marker}`)).toBe(404);
    const sections = await sidecar.after(runDir);

    const wiremock = sections.signals!.wiremock!;
    expect(wiremock).toMatchObject({ status: "ok", source: "discovered", container: WIREMOCK, url: wiremockUrl, error: null });
    expect(wiremock.files).toEqual(["wiremock-requests.json", "wiremock-unmatched.json"]);
    const urls = (await readJournal(runDir.path, "wiremock-requests.json")).requests.map(urlOf);
    expect(urls.sort()).toEqual([`/api/prices?probe=during-${marker}`, `/api/unstubbed-${marker}`, `/api/weather?probe=during-${marker}`]);
    expect(wiremock.requests).toBe(urls.length);
    const journal = (await readJournal(runDir.path, "wiremock-requests.json")).requests.find(
      (entry) => entry.request.url === `/api/weather?probe=during-${marker}`,
    )!;
    expect(journal).toMatchObject({ request: { method: "GET" }, response: { status: 200 }, wasMatched: true });

    const unmatched = (await readJournal(runDir.path, "wiremock-unmatched.json")).requests.map(urlOf);
    expect(unmatched).toEqual([`/api/unstubbed-${marker}`]);
    expect(sections.artifacts).toMatchObject({
      wiremock_requests: `${runDir.artifactPrefix}/wiremock-requests.json`,
      wiremock_unmatched: `${runDir.artifactPrefix}/wiremock-unmatched.json`,
    });
  });

  it("a WireMock URL that refuses connections: wiremock failed with the reason, the container signals still collected", async () => {
    const port = await freePort();
    const runDir = await scratchRunDir();
    const sidecar = await sidecarFor(TARGET, { wiremockUrl: `http://127.0.0.1:${port}/__admin/` });
    await sidecar.before(runDir);
    const { signals } = await sidecar.after(runDir);
    expect(signals!.wiremock).toMatchObject({ status: "failed", source: "option", url: `http://127.0.0.1:${port}`, files: [] });
    expect(signals!.wiremock!.error).toMatch(/^reset: WireMock at http:\/\/127\.0\.0\.1:\d+ refused the connection \(ECONNREFUSED\)/);
    expect(signals!.container_logs!.status).toBe("ok");
    expect(signals!.container_stats!.status).toBe("ok");
  });

  it("something that is not WireMock (the forecast service): failed, saying so", async () => {
    const runDir = await scratchRunDir();
    const sidecar = createSignalsSidecar({ wiremockUrl: "http://127.0.0.1:5000" });
    await sidecar.before(runDir);
    const { signals } = await sidecar.after(runDir);
    expect(signals!.wiremock!.status).toBe("failed");
    expect(signals!.wiremock!.error).toMatch(/reset: WireMock at http:\/\/127\.0\.0\.1:5000 answered (404|405) to DELETE \/__admin\/requests/);
  });

  it("a run on this host: WireMock applies when a URL is given; the container collectors are skipped with the reason", async () => {
    const runDir = await scratchRunDir();
    const sidecar = createSignalsSidecar({ wiremockUrl });
    await sidecar.before(runDir);
    expect(await call(`/api/weather?probe=local-${marker}`)).toBe(200);
    const { signals, artifacts } = await sidecar.after(runDir);
    expect(signals!.wiremock).toMatchObject({ status: "ok", source: "option" });
    const urls = (await readJournal(runDir.path, "wiremock-requests.json")).requests.map(urlOf);
    expect(urls).toEqual([`/api/weather?probe=local-${marker}`]);
    expect(signals!.container_logs).toMatchObject({ status: "skipped", files: [], reason: "run on this host: no containers" });
    expect(signals!.container_stats).toMatchObject({ status: "skipped", files: [], reason: "run on this host: no containers" });
    expect(Object.keys(artifacts).sort()).toEqual(["wiremock_requests", "wiremock_unmatched"]);
  });

  describe("WireMock stopped between reset and dump", () => {
    let sidecar: SignalsSidecar | undefined;
    afterAll(() => sidecar?.dispose());

    it("the dump fails with the reason; the other collectors are unaffected", async () => {
      const runDir = await scratchRunDir();
      sidecar = await sidecarFor(TARGET, { timeoutSeconds: 15 });
      await sidecar.before(runDir);
      expect(sidecar.sections).toBeUndefined();
      await docker.getContainer(WIREMOCK).stop({ t: 1 });
      const { signals } = await sidecar.after(runDir);
      expect(signals!.wiremock!.status).toBe("failed");
      expect(signals!.wiremock!.error).toMatch(/^dump: WireMock at http:\/\/127\.0\.0\.1:\d+ (refused the connection|did not answer)/);
      expect(signals!.wiremock!.files).toEqual([]);
      // The stopped container is itself part of the project: its own logs/stats are marked, the others are fine.
      const logs = signals!.container_logs!;
      expect(logs.containers![TARGET]).toMatchObject({ status: "ok" });
      expect(logs.containers![WIREMOCK]).toMatchObject({ status: "failed", file: null });
      expect(logs.containers![WIREMOCK]!.error).toMatch(/exited|not running/);
      expect(signals!.container_stats!.containers![TARGET]).toMatchObject({ status: "ok" });
    });
  });
});
