import { readdir, realpath } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import {
  InvalidOptionError,
  listenOnLoopback,
  type MemrayError,
  openRunFile,
  readSummary,
  RunFileError,
  SUMMARY_FILE,
  toMemrayError,
} from "@alpiq/memray-core";
import { listRuns, toRunRow } from "./run-rows.js";
import { renderComparePage, renderErrorPage, renderRunListPage, renderRunPage } from "./run-browser-pages.js";

/** The run browser listens on loopback only: run data never leaves the machine. */
export const VIEW_HOST = "127.0.0.1";
export const DEFAULT_VIEW_PORT = 8377;

export interface ViewServerOptions {
  /** The directory of run directories (absolute). */
  runsDir: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** When the port is taken, take a free one instead of failing (the default port). */
  fallbackToFreePort?: boolean;
  /** Working directory the run paths are shown relative to. */
  cwd: string;
}

export interface ViewServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

function send(response: ServerResponse, status: number, body: string, type = "text/html; charset=utf-8"): void {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  response.end(body);
}

/** A %-encoded URL segment, decoded; a malformed escape (`%zz`, a lone `%`) is bad input (400), not a crash. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw new InvalidOptionError(`malformed %-escape in the URL: ${JSON.stringify(segment)}`, { cause: error });
  }
}

/** A run directory's name from a URL segment: one plain directory name, never a path. */
function runName(segment: string): string {
  const name = decodeSegment(segment);
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new InvalidOptionError(`not a run name: ${JSON.stringify(name)}`);
  }
  return name;
}

async function runFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
}

/**
 * The Host names the browser may have used to reach us: a page on another name that resolves to
 * 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
 */
function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** The HTTP status of a run file the server refused to read. */
function refusedStatus(error: MemrayError): number {
  if (!(error instanceof RunFileError)) return error.exitCode === 2 ? 400 : 500;
  if (error.problem === "missing" || error.problem === "not-regular") return 404;
  if (error.problem === "outside" || error.problem === "too-large") return 403;
  return 400;
}

/**
 * Start the run browser on 127.0.0.1. It answers only requests addressed to 127.0.0.1, localhost or
 * [::1] on its port (421 otherwise), refuses cross-origin requests to anything but a page (403), and
 * reads only regular files whose real path is inside the runs directory's real path, through core's
 * readRunFile/openRunFile (a FIFO never blocks it; a symbolic link out of the runs is 403).
 */
export async function startViewServer(options: ViewServerOptions): Promise<ViewServer> {
  const { runsDir, cwd } = options;
  const runDir = (name: string) => path.join(runsDir, runName(name));
  /** Aborted by close(): reads in progress stop. */
  const closing = new AbortController();
  const signal = closing.signal;
  let hosts: string[] = [];
  let origins: string[] = [];

  /** The runs directory's real path (it may appear, or be replaced by a link, while the server runs). */
  async function realRunsDir(): Promise<string | undefined> {
    return realpath(runsDir).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    });
  }

  /** A run directory whose real path is inside the runs directory (a link to elsewhere is refused). */
  async function insideRunDir(name: string, within: string | undefined): Promise<string> {
    const dir = runDir(name);
    const real = within ? await realpath(dir).catch(() => undefined) : undefined;
    const relative = real && within ? path.relative(within, real) : undefined;
    if (relative === undefined || relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      if (real === undefined) throw new RunFileError(dir, "missing", `no run ${name}`);
      throw new RunFileError(dir, "outside", `run ${name} leads outside the runs directory (to ${real})`);
    }
    return dir;
  }

  async function listPage(): Promise<string> {
    const within = await realRunsDir();
    const { runs, broken } = within ? await listRuns(runsDir, { signal, within }) : { runs: [], broken: [] };
    const rows = await Promise.all(
      runs.map(async (run) => ({ row: toRunRow(run, cwd), name: path.basename(run.dir), files: await runFiles(run.dir).catch(() => []) })),
    );
    return renderRunListPage(
      rows,
      path.relative(cwd, runsDir) || runsDir,
      broken.map((run) => ({ run_dir: path.relative(cwd, run.dir), problem: run.problem })),
    );
  }

  async function comparePage(a: string, b: string): Promise<string> {
    const [{ loadRun, compareRuns, renderMarkdown, runFileCompareFs }, { marked }] = await Promise.all([import("@alpiq/memray-compare"), import("marked")]);
    const within = await realRunsDir();
    const [dirA, dirB] = await Promise.all([insideRunDir(a, within), insideRunDir(b, within)]);
    const fs = runFileCompareFs({ signal, within });
    const [baseline, candidate] = await Promise.all([loadRun(dirA, "baseline", { fs }), loadRun(dirB, "candidate", { fs })]);
    const report = compareRuns(baseline, candidate);
    // The markdown is ours (the compare library's), but run names and paths in it come from disk: no raw HTML.
    const markdown = renderMarkdown(report).replace(/</g, "&lt;");
    return renderComparePage(a, b, await marked.parse(markdown, { gfm: true }), report.regression);
  }

  async function serveFile(request: IncomingMessage, response: ServerResponse, name: string, rest: string[]): Promise<void> {
    const base = runDir(name);
    const file = path.resolve(base, ...rest.map(decodeSegment));
    if (!file.startsWith(base + path.sep)) throw new InvalidOptionError("outside the run directory");
    const within = await realRunsDir();
    if (!within) return send(response, 404, renderErrorPage(404, `no file ${rest.join("/")} in run ${name}`));
    const opened = await openRunFile(file, { signal, within });
    response.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-length": opened.size,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    if (request.method === "HEAD") {
      await opened.handle.close();
      response.end();
      return;
    }
    await pipeline(opened.handle.createReadStream(), response);
  }

  /** Whether the request comes from a page of another origin (its Origin, or Sec-Fetch-Site). */
  function crossOrigin(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.includes(origin.toLowerCase())) return true;
    return request.headers["sec-fetch-site"] === "cross-site";
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends Host: evil.example.
    const host = (request.headers.host ?? "").toLowerCase();
    if (!hosts.includes(host)) {
      return send(
        response,
        421,
        renderErrorPage(421, `this run browser answers to ${hosts.join(", ")} only, not to Host ${JSON.stringify(request.headers.host ?? "")}`),
      );
    }
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const isPageRead = (request.method === "GET" || request.method === "HEAD") && !url.pathname.startsWith("/api/");
    if (!isPageRead && crossOrigin(request)) {
      return send(response, 403, renderErrorPage(403, `cross-origin request refused (Origin ${JSON.stringify(request.headers.origin ?? null)})`));
    }
    if (request.method !== "GET" && request.method !== "HEAD") return send(response, 405, renderErrorPage(405, "only GET"));
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts.length === 0) return send(response, 200, await listPage());
    if (parts[0] === "api" && parts[1] === "runs" && parts.length === 2) {
      const within = await realRunsDir();
      const { runs, broken } = within ? await listRuns(runsDir, { signal, within }) : { runs: [], broken: [] };
      const body = {
        runs_dir: path.relative(cwd, runsDir) || ".",
        runs: runs.map((run) => toRunRow(run, cwd)),
        unreadable: broken.map((run) => ({ run_dir: path.relative(cwd, run.dir), problem: run.problem })),
      };
      return send(response, 200, JSON.stringify(body), TYPES[".json"]);
    }
    if (parts[0] === "run" && parts.length === 2) {
      const name = runName(parts[1]!);
      const within = await realRunsDir();
      const dir = await insideRunDir(name, within);
      const summary = await readSummary(path.join(dir, SUMMARY_FILE), { signal, within }).catch((error: unknown) => {
        if (error instanceof RunFileError && error.problem === "missing") throw new RunFileError(error.file, "missing", `no run ${name} (no ${SUMMARY_FILE})`);
        throw error;
      });
      return send(response, 200, renderRunPage(name, summary, await runFiles(dir)));
    }
    if (parts[0] === "runs" && parts.length >= 3) return serveFile(request, response, parts[1]!, parts.slice(2));
    if (parts[0] === "compare" && parts.length === 1) {
      const a = url.searchParams.get("a");
      const b = url.searchParams.get("b");
      if (!a || !b) return send(response, 400, renderErrorPage(400, "compare needs two runs: /compare?a=<baseline>&b=<candidate>"));
      return send(response, 200, await comparePage(a, b));
    }
    return send(response, 404, renderErrorPage(404, `nothing at ${url.pathname}`));
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const failure = toMemrayError(error);
      const status = refusedStatus(failure);
      if (!response.headersSent) send(response, status, renderErrorPage(status, failure.reason));
      else response.destroy();
    });
  });

  const port = await listenOnLoopback(server, options.port, {
    ifTaken: options.fallbackToFreePort ? "any" : "fail",
    wrapError: (error) =>
      (error as NodeJS.ErrnoException).code === "EADDRINUSE"
        ? new InvalidOptionError(`--port ${options.port}: 127.0.0.1:${options.port} is already in use`, {
            hint: "pick another --port, or leave it out for a free one",
          })
        : error,
  });
  hosts = allowedHosts(port);
  origins = hosts.map((host) => `http://${host}`);
  return {
    url: `http://${VIEW_HOST}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
