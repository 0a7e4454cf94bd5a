import { createWriteStream } from "node:fs";
import { readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import createDebug from "debug";
import { SignalError, WireMockError } from "./errors.js";

const debug = createDebug("memray:signals:wiremock");

export const WIREMOCK_REQUESTS_FILE = "wiremock-requests.json";
export const WIREMOCK_UNMATCHED_FILE = "wiremock-unmatched.json";

/** Journals larger than this are written but not parsed for their counts. */
const COUNT_LIMIT_BYTES = 64 * 1024 * 1024;

export interface WireMockCallOptions {
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** `http://host:port` from what a user may type (`.../__admin`, a trailing slash); throws TypeError when not http(s). */
export function normalizeWireMockUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new TypeError(`expects an http:// or https:// URL, received ${JSON.stringify(url)}`);
  const pathname = parsed.pathname.replace(/\/+$/, "").replace(/\/__admin$/, "");
  return `${parsed.origin}${pathname}`;
}

async function call(base: string, operation: WireMockError["operation"], method: string, adminPath: string, options: WireMockCallOptions): Promise<Response> {
  const url = `${base}/__admin/${adminPath}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { method, headers: { accept: "application/json" }, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    if (options.signal?.aborted && options.signal.reason instanceof SignalError) throw options.signal.reason;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      cause?.code === "ECONNREFUSED"
        ? "refused the connection (ECONNREFUSED): is WireMock running?"
        : cause?.message === "bad port"
          ? `cannot be called: fetch refuses port ${new URL(base).port} (a "bad port" of the Fetch standard); publish WireMock on another port`
          : `did not answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
    throw new WireMockError(base, operation, "unreachable", `WireMock at ${base} ${why} (${method} /__admin/${adminPath})`, null, error);
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => "")).slice(0, 200).trim();
    throw new WireMockError(
      base,
      operation,
      "status",
      `WireMock at ${base} answered ${response.status} to ${method} /__admin/${adminPath}${body ? `: ${body}` : ""}`,
      response.status,
    );
  }
  return response;
}

/** DELETE /__admin/requests: empty the request journal (done just before the workload starts). */
export async function resetWireMockJournal(baseUrl: string, options: WireMockCallOptions = {}): Promise<void> {
  const response = await call(baseUrl, "reset", "DELETE", "requests", options);
  await response.body?.cancel();
  debug("journal of %s reset", baseUrl);
}

export interface WireMockDump {
  files: string[];
  /** Entries of each file, when it was small enough to count (null otherwise). */
  requests: number | null;
  unmatched: number | null;
}

/**
 * GET /__admin/requests → wiremock-requests.json and GET /__admin/requests/unmatched →
 * wiremock-unmatched.json in `dir`, streamed to disk (WireMock's JSON as it sent it, newest first).
 * A file is written whole or not at all (`.partial`, then renamed).
 */
export async function dumpWireMockJournal(baseUrl: string, dir: string, options: WireMockCallOptions = {}): Promise<WireMockDump> {
  const requests = await download(baseUrl, "dump", "requests", path.join(dir, WIREMOCK_REQUESTS_FILE), options);
  const unmatched = await download(baseUrl, "dump-unmatched", "requests/unmatched", path.join(dir, WIREMOCK_UNMATCHED_FILE), options);
  return { files: [WIREMOCK_REQUESTS_FILE, WIREMOCK_UNMATCHED_FILE], requests, unmatched };
}

async function download(
  base: string,
  operation: WireMockError["operation"],
  adminPath: string,
  file: string,
  options: WireMockCallOptions,
): Promise<number | null> {
  const response = await call(base, operation, "GET", adminPath, options);
  const partial = `${file}.partial`;
  try {
    if (!response.body) throw new WireMockError(base, operation, "not-wiremock", `WireMock at ${base} sent no body for /__admin/${adminPath}`);
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      createWriteStream(partial),
      options.signal ? { signal: options.signal } : {},
    );
    const count = await countRequests(partial, base, operation, adminPath);
    await rename(partial, file);
    return count;
  } catch (error) {
    await rm(partial, { force: true });
    if (options.signal?.aborted && options.signal.reason instanceof SignalError) throw options.signal.reason;
    throw error instanceof SignalError
      ? error
      : new WireMockError(base, operation, "unreachable", `reading /__admin/${adminPath} from ${base} failed: ${(error as Error).message}`, null, error);
  }
}

/** `requests.length` of a journal file; checks it is WireMock's answer. */
async function countRequests(file: string, base: string, operation: WireMockError["operation"], adminPath: string): Promise<number | null> {
  if ((await stat(file)).size > COUNT_LIMIT_BYTES) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch {
    parsed = undefined;
  }
  const requests = (parsed as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests)) {
    throw new WireMockError(
      base,
      operation,
      "not-wiremock",
      `${base}/__admin/${adminPath} did not answer with a WireMock journal (JSON with a "requests" array): is this WireMock?`,
    );
  }
  return requests.length;
}
