import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fallbackSummary, writeSummary } from "@alpiq/memray-core";
import { cliBin, handmadeRun } from "./cli-runner.js";

// `memray-cli view` as the built CLI serves it, asked over real HTTP by node's http client (which,
// unlike a browser, lets the test forge Host and Origin): what a page on another origin, a name
// rebound to 127.0.0.1, a planted symbolic link or a FIFO in the runs directory can get out of it.

interface Reply {
  status: number;
  body: string;
}

let port = 0;

/** `memray-cli view --port 0` in `cwd`: its port, once it listens. */
async function startView(cwd: string): Promise<{ port: number; server: ResultPromise }> {
  const server = execa(process.execPath, [cliBin, "view", "--port", "0", "--json"], { cwd, env: { NO_COLOR: "1" }, buffer: false, reject: false });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) resolve((JSON.parse(text.split("\n")[0]!) as { url: string }).url);
    });
    server.then((result) => reject(new Error(`view ended: ${String(result.stderr)}`)), reject);
  });
  return { port: Number(new URL(url).port), server };
}

/** SIGKILL: a server stuck on a FIFO would not end on SIGTERM. */
async function stopView(server: ResultPromise | undefined): Promise<void> {
  server?.kill("SIGKILL");
  await server?.catch(() => undefined);
}

/** One request to the run browser on 127.0.0.1, with the headers given (Host forged at will). */
function request(pathname: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: pathname, method, headers: { host: `127.0.0.1:${port}`, ...headers }, timeout: 8000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${pathname} within 8 s`)));
    req.on("error", reject);
    req.end();
  });
}

const SECRET = "top-secret-outside-the-runs";

describe("memray-cli view: only this machine's pages, only the runs' regular files", () => {
  let cwd: string;
  let outside: string;
  let server: ResultPromise;
  const run = "svc-20260315-143022";
  const other = "svc-20260315-150000";

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-view-"));
    outside = await mkdtemp(path.join(os.tmpdir(), "memray-cli-outside-"));
    await writeFile(path.join(outside, "secret.txt"), SECRET);
    await writeSummary(
      outside,
      fallbackSummary({ runId: "outside-run", mode: "script", script: null, timestamp: new Date(), error: SECRET, errorCode: "HARNESS_FAILED" }),
    );
    for (const name of [run, other]) {
      await writeBrokenRun(cwd, name);
    }
    // Planted: a link out of the runs, a link to another run's file, a whole run directory that is a link out.
    await symlink(path.join(outside, "secret.txt"), path.join(cwd, "runs", run, "x.html"));
    await symlink(path.join(cwd, "runs", other, "table.txt"), path.join(cwd, "runs", run, "other-table.txt"));
    await symlink(outside, path.join(cwd, "runs", "evil-20260315-143022"));
    ({ port, server } = await startView(cwd));
  });

  afterAll(() => stopView(server));

  it("answers to 127.0.0.1, localhost and [::1] on its port; any other Host (DNS rebinding) gets 421 and no run data", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const reply = await request("/api/runs", { host });
      expect(reply.status, host).toBe(200);
      expect(reply.body).toContain(run);
    }
    for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1:${port + 1}`, "127.0.0.1", `localhost.evil.example:${port}`]) {
      for (const pathname of ["/", "/api/runs", `/run/${run}`, `/runs/${run}/summary.json`]) {
        const reply = await request(pathname, { host });
        expect(reply.status, `${host} ${pathname}`).toBe(421);
        expect(reply.body).not.toContain("it broke");
        expect(reply.body).not.toContain(`"run_id"`);
      }
    }
  });

  it("refuses a cross-origin request to the API and any non-GET (403); same-origin API reads and page navigations from elsewhere still work", async () => {
    expect((await request("/api/runs", { origin: "http://evil.example" })).status).toBe(403);
    expect((await request("/api/runs", { origin: "null" })).status).toBe(403);
    expect((await request("/api/runs", { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await request("/api/runs", { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    expect((await request("/api/runs", { origin: `http://localhost:${port}` })).status).toBe(200);
    expect((await request("/", { origin: "http://evil.example" }, "POST")).status).toBe(403);
    expect((await request("/", { origin: `http://127.0.0.1:${port}` }, "POST")).status).toBe(405);
    // A link followed from another site is a page read: allowed (the browser keeps that page from reading it).
    expect((await request(`/run/${run}`, { "sec-fetch-site": "cross-site" })).status).toBe(200);
  });

  it("serves no file whose real path is outside the runs directory: a planted link is 403, a link to another run's file is served", async () => {
    const planted = await request(`/runs/${run}/x.html`);
    expect(planted.status).toBe(403);
    expect(planted.body).not.toContain(SECRET);
    expect(planted.body).toMatch(/leads outside/);
    const sibling = await request(`/runs/${run}/other-table.txt`);
    expect(sibling.status).toBe(200);
    expect(sibling.body).toBe(`table of ${other}\n`);
    const own = await request(`/runs/${run}/table.txt`);
    expect(own).toEqual({ status: 200, body: `table of ${run}\n` });
  });

  it("a run directory that is a link out of the runs is refused, its page, its files and in a comparison", async () => {
    for (const pathname of [
      "/run/evil-20260315-143022",
      "/runs/evil-20260315-143022/secret.txt",
      "/runs/evil-20260315-143022/summary.json",
      `/compare?a=${run}&b=evil-20260315-143022`,
    ]) {
      const reply = await request(pathname);
      expect(reply.status, pathname).toBe(403);
      expect(reply.body).not.toContain(SECRET);
    }
    const list = await request("/api/runs");
    expect(list.body).not.toContain(SECRET);
  });

  it("a malformed %-escape is 400, not 500", async () => {
    for (const pathname of ["/run/%zz", `/runs/${run}/%E0%A4%A`, "/runs/%/x", "/run/50%"]) {
      const reply = await request(pathname);
      expect(reply.status, pathname).toBe(400);
      expect(reply.body).toMatch(/malformed %-escape/);
    }
  });
});

describe("memray-cli view with FIFOs in the runs directory", () => {
  let server: ResultPromise;
  const run = "svc-20260315-143022";

  beforeAll(async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "memray-cli-view-fifo-"));
    for (const name of [run, "svc-20260315-150000"]) {
      await writeBrokenRun(cwd, name);
    }
    // A run whose summary.json is a FIFO, and a FIFO among a run's files.
    await mkdir(path.join(cwd, "runs", "fifo-20260315-143022"));
    execFileSync("mkfifo", [path.join(cwd, "runs", "fifo-20260315-143022", "summary.json")]);
    execFileSync("mkfifo", [path.join(cwd, "runs", run, "pipe.html")]);
    ({ port, server } = await startView(cwd));
  });

  afterAll(() => stopView(server));

  it("FIFOs never block it: the run with a FIFO summary is listed as unreadable, its page and a FIFO file are 404, and it keeps answering", async () => {
    // More requests touching a FIFO than libuv has threads (4): one blocked open each would leave none.
    const touching = await Promise.all(
      Array.from({ length: 6 }, (_, index) => request(index % 3 === 0 ? "/" : index % 3 === 1 ? "/run/fifo-20260315-143022" : `/runs/${run}/pipe.html`)),
    );
    expect(touching.map((reply) => reply.status)).toEqual([200, 404, 404, 200, 404, 404]);
    expect(touching[1]!.body).toMatch(/summary\.json is a FIFO \(named pipe\), not a regular file/);
    expect(touching[2]!.body).toMatch(/pipe\.html is a FIFO \(named pipe\), not a regular file/);
    const list = JSON.parse((await request("/api/runs")).body) as { runs: { run_id: string }[]; unreadable: { run_dir: string; problem: string }[] };
    expect(list.runs.map((r) => r.run_id).sort()).toEqual([run, "svc-20260315-150000"]);
    expect(list.unreadable).toEqual([
      { run_dir: path.join("runs", "fifo-20260315-143022"), problem: expect.stringMatching(/is a FIFO \(named pipe\), not a regular file/) },
    ]);
    expect((await request(`/runs/${run}/table.txt`)).status).toBe(200);
  });
});

/** runs/NAME: a failed script run's summary (handmadeRun) and a table.txt that names the run. */
async function writeBrokenRun(cwd: string, name: string): Promise<void> {
  await writeFile(path.join(await handmadeRun(cwd, name), "table.txt"), `table of ${name}\n`);
}
