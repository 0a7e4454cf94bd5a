import type { IncomingMessage } from "node:http";
import { describeSignalError, mapConcurrently, writeLogFile } from "@alpiq/memray-core";
import createDebug from "debug";
import { DockerLogDemuxer } from "./docker-log-demuxer.js";
import { ContainerSignalError } from "./errors.js";
import { logFileNames, type SignalsDockerClient, type StackContainer } from "./stack-discovery.js";

const debug = createDebug("memray:docker:logs");

export interface ContainerLogsOptions {
  docker: SignalsDockerClient;
  containers: readonly StackContainer[];
  /** The run directory: files are written here. */
  dir: string;
  /** Start of the window (`docker logs --since`). */
  since: Date;
  /** End of the window (`--until`): lines written while collecting are left out. Default: now. */
  until?: Date;
  signal?: AbortSignal;
  /** Containers read at once (default 8). */
  concurrency?: number;
}

export interface ContainerLogResult {
  container: StackContainer;
  status: "ok" | "failed";
  /** The file written (kept, possibly partial, when the stream broke off). */
  file: string | null;
  bytes: number;
  stdoutBytes: number;
  stderrBytes: number;
  error: string | null;
}

/**
 * `docker logs --since S --until U --timestamps` of each container into `logs-*.txt` of `dir`: stdout
 * and stderr demultiplexed and merged in the daemon's order, streamed to the file with backpressure
 * (memory stays flat whatever the log size). A container that is gone or whose stream fails is marked
 * failed; the others are unaffected.
 */
export async function collectContainerLogs(options: ContainerLogsOptions): Promise<ContainerLogResult[]> {
  const until = options.until ?? new Date();
  const names = logFileNames(options.containers);
  return mapConcurrently(options.containers, options.concurrency ?? 8, (container) => collectOne(options, container, names.get(container.id)!, until));
}

async function collectOne(options: ContainerLogsOptions, container: StackContainer, fileName: string, until: Date): Promise<ContainerLogResult> {
  const result: ContainerLogResult = { container, status: "failed", file: null, bytes: 0, stdoutBytes: 0, stderrBytes: 0, error: null };
  const { signal } = options;
  let response: IncomingMessage;
  let tty: boolean;
  try {
    const handle = options.docker.getContainer(container.id);
    const info = await handle.inspect(signal ? { abortSignal: signal } : {});
    if (!info.State?.Running) throw new ContainerSignalError("container_logs", container.name, `${container.name} is ${info.State?.Status ?? "not running"}`);
    tty = Boolean(info.Config?.Tty);
    response = await dialLogs(options.docker, container.id, options.since, until, signal);
  } catch (error) {
    result.error = containerError(container, error);
    debug("%s: %s", container.name, result.error);
    return result;
  }
  const demuxer = tty ? undefined : new DockerLogDemuxer();
  Object.assign(result, await writeLogFile(demuxer ? [response, demuxer] : [response], options.dir, fileName, { label: container.name, signal }));
  result.stdoutBytes = demuxer ? demuxer.stdoutBytes : result.bytes;
  result.stderrBytes = demuxer ? demuxer.stderrBytes : 0;
  debug("%s: %s, %d bytes → %s", container.name, result.status, result.bytes, fileName);
  return result;
}

/** GET /containers/{id}/logs as a stream without follow (dockerode's logs() buffers a non-follow answer whole). */
function dialLogs(docker: SignalsDockerClient, id: string, since: Date, until: Date, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: "GET",
        isStream: true,
        statusCodes: { 200: true, 404: "no such container", 500: "server error" },
        options: { stdout: true, stderr: true, timestamps: true, follow: false, since: toDockerTimestamp(since), until: toDockerTimestamp(until) },
        ...(signal ? { abortSignal: signal } : {}),
      } as Parameters<SignalsDockerClient["modem"]["dial"]>[0],
      (error: unknown, stream: unknown) => (error ? reject(error) : resolve(stream as IncomingMessage)),
    );
  });
}

/** The Engine API's timestamp form (`seconds.nanoseconds`), as the Docker CLI sends it. */
export function toDockerTimestamp(date: Date): string {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${String((ms - seconds * 1000) * 1_000_000).padStart(9, "0")}`;
}

/** "local-x-1: no such container" from dockerode's `(HTTP code 404) no such container - ...`. */
export function containerError(container: StackContainer, error: unknown): string {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 404) return `${container.name}: no such container (removed during the run?)`;
  if (error instanceof ContainerSignalError) return error.message;
  return `${container.name}: ${describeSignalError(error)}`;
}
