import path from "node:path";
import { InvalidOptionError, type ViewOutput } from "@alpiq/memray-core";
import type { CliIo } from "./cli-io.js";
import { openInBrowser } from "./open-in-browser.js";
import { DEFAULT_VIEW_PORT, startViewServer, VIEW_HOST } from "./view-server.js";

export interface ViewFlags {
  port?: string;
  out: string;
  open: boolean;
  json: boolean;
}

/** Parse --port: a whole number 0..65535 (0: any free port). */
function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || port > 65535) throw new InvalidOptionError(`--port expects an integer from 0 to 65535, received "${value}"`);
  return port;
}

/**
 * `memray-cli view [--port N] [--out DIR]`: the run browser on 127.0.0.1 until Ctrl-C (io.signal).
 * stdout: the URL (--json: {url, host, port, runs_dir}).
 */
export async function viewCommand(io: CliIo, flags: ViewFlags): Promise<number> {
  const port = parsePort(flags.port);
  const runsDir = path.resolve(io.cwd, flags.out);
  const server = await startViewServer({ runsDir, port: port ?? DEFAULT_VIEW_PORT, fallbackToFreePort: port === undefined, cwd: io.cwd });
  const output: ViewOutput = { url: server.url, host: VIEW_HOST, port: server.port, runs_dir: path.relative(io.cwd, runsDir) || "." };
  io.stdout.write(flags.json ? `${JSON.stringify(output)}\n` : `${server.url}\n`);
  io.stderr.write(`run browser on ${server.url} (runs in ${output.runs_dir}/, 127.0.0.1 only); Ctrl-C stops it\n`);
  if (flags.open && !(await openInBrowser(server.url))) io.stderr.write(`could not start a browser: open ${server.url}\n`);
  await new Promise<void>((resolve) => {
    if (!io.signal) return; // embedded without a signal: serve until the process ends
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}
