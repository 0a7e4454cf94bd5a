import { createReadStream, existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { InvalidOptionError, listenOnLoopback, readSummary, SUMMARY_FILE, toMemrayError } from "@alpiq/memray-core";
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

/** A run directory's name from a URL segment: one plain directory name, never a path. */
function runName(segment: string): string {
  const name = decodeURIComponent(segment);
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new InvalidOptionError(`not a run name: ${JSON.stringify(name)}`);
  }
  return name;
}

async function runFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
}

/** Start the run browser on 127.0.0.1. */
export async function startViewServer(options: ViewServerOptions): Promise<ViewServer> {
  const { runsDir, cwd } = options;
  const runDir = (name: string) => path.join(runsDir, runName(name));

  async function listPage(): Promise<string> {
    const { runs, broken } = await listRuns(runsDir);
    const rows = await Promise.all(
      runs.map(async (run) => ({ row: toRunRow(run, cwd), name: path.basename(run.dir), files: await runFiles(run.dir).catch(() => []) })),
    );
    return renderRunListPage(rows, path.relative(cwd, runsDir) || runsDir, broken.map((run) => ({ run_dir: path.relative(cwd, run.dir), problem: run.problem })));
  }

  async function comparePage(a: string, b: string): Promise<string> {
    const [{ loadRun, compareRuns, renderMarkdown }, { marked }] = await Promise.all([import("@alpiq/memray-compare"), import("marked")]);
    const [baseline, candidate] = await Promise.all([loadRun(runDir(a), "baseline"), loadRun(runDir(b), "candidate")]);
    const report = compareRuns(baseline, candidate);
    // The markdown is ours (the compare library's), but run names and paths in it come from disk: no raw HTML.
    const markdown = renderMarkdown(report).replace(/</g, "&lt;");
    return renderComparePage(a, b, await marked.parse(markdown, { gfm: true }), report.regression);
  }

  async function serveFile(response: ServerResponse, name: string, rest: string[]): Promise<void> {
    const base = runDir(name);
    const file = path.resolve(base, ...rest.map((part) => decodeURIComponent(part)));
    if (!file.startsWith(base + path.sep)) throw new InvalidOptionError("outside the run directory");
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return send(response, 404, renderErrorPage(404, `no file ${rest.join("/")} in run ${name}`));
    response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "content-length": info.size, "cache-control": "no-store" });
    createReadStream(file).pipe(response);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") return send(response, 405, renderErrorPage(405, "only GET"));
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts.length === 0) return send(response, 200, await listPage());
    if (parts[0] === "api" && parts[1] === "runs" && parts.length === 2) {
      const { runs, broken } = await listRuns(runsDir);
      const body = { runs_dir: path.relative(cwd, runsDir) || ".", runs: runs.map((run) => toRunRow(run, cwd)), unreadable: broken.map((run) => ({ run_dir: path.relative(cwd, run.dir), problem: run.problem })) };
      return send(response, 200, JSON.stringify(body), TYPES[".json"]);
    }
    if (parts[0] === "run" && parts.length === 2) {
      const name = runName(parts[1]!);
      const dir = runDir(name);
      if (!existsSync(path.join(dir, SUMMARY_FILE))) return send(response, 404, renderErrorPage(404, `no run ${name} (no ${SUMMARY_FILE})`));
      return send(response, 200, renderRunPage(name, await readSummary(dir), await runFiles(dir)));
    }
    if (parts[0] === "runs" && parts.length >= 3) return serveFile(response, parts[1]!, parts.slice(2));
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
      if (!response.headersSent) send(response, failure.exitCode === 2 ? 400 : 500, renderErrorPage(failure.exitCode === 2 ? 400 : 500, failure.reason));
      else response.destroy();
    });
  });

  const port = await listenOnLoopback(server, options.port, {
    ifTaken: options.fallbackToFreePort ? "any" : "fail",
    wrapError: (error) =>
      (error as NodeJS.ErrnoException).code === "EADDRINUSE"
        ? new InvalidOptionError(`--port ${options.port}: 127.0.0.1:${options.port} is already in use`, { hint: "pick another --port, or leave it out for a free one" })
        : error,
  });
  return {
    url: `http://${VIEW_HOST}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
