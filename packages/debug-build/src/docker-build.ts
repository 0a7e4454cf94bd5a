import { createWriteStream } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createLineSplitter } from "@alpiq/memray-core";
import { EngineUnavailableError } from "@alpiq/memray-docker";
import createDebug from "debug";
import type Docker from "dockerode";
import tar from "tar-stream";
import { BaseImageUnavailableError } from "./errors.js";

const debug = createDebug("memray:debug-build");
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Where a dockerode client connects, for messages. */
export function engineEndpoint(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  if (modem.host) return `${modem.protocol === "https" ? "tcp+tls" : "tcp"}://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  return "unix:///var/run/docker.sock";
}

/** `docker info`-like probe: throws EngineUnavailableError (exit 3) when no engine answers. */
export async function requireEngine(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new EngineUnavailableError(engineEndpoint(docker), error);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/** The image's id when the engine has it, else null. */
export async function localImageId(docker: Docker, image: string): Promise<string | null> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * The base image's id: the local one, else pulled (bounded by `timeoutMs`). Throws
 * BaseImageUnavailableError (exit 3) naming the image and how to provide one.
 */
export async function ensureBaseImage(
  docker: Docker,
  image: string,
  options: { platform: string; timeoutMs: number; onLine?: (line: string) => void },
): Promise<{ id: string; pulled: boolean }> {
  const local = await localImageId(docker, image);
  if (local) return { id: local, pulled: false };
  debug("pulling %s", image);
  let timer: NodeJS.Timeout | undefined;
  try {
    const pull = (async () => {
      const stream = (await docker.pull(image, { platform: options.platform })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (error: Error | null, output: Array<{ error?: string }>) => {
            const failed = error ?? output?.find((event) => event.error);
            if (failed) reject(failed instanceof Error ? failed : new Error(String(failed.error)));
            else resolve();
          },
          (event: { status?: string; id?: string; progress?: string }) => {
            if (event.status && !event.progress) options.onLine?.(`${event.id ? `${event.id}: ` : ""}${event.status}`);
          },
        );
      });
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)} s`)), options.timeoutMs);
    });
    await Promise.race([pull, timeout]);
  } catch (error) {
    const detail = ((error as { json?: { message?: string } }).json?.message ?? (error as Error).message ?? String(error)).trim().split("\n")[0]!;
    throw new BaseImageUnavailableError(image, `docker pull failed: ${detail.replace(/^\(HTTP code \d+\) [a-z ]+ - /, "")}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  const pulled = await localImageId(docker, image);
  if (!pulled) throw new BaseImageUnavailableError(image, "the pull finished but the engine does not list the image");
  return { id: pulled, pulled: true };
}

export interface DockerBuildRequest {
  context: NodeJS.ReadableStream;
  /** Dockerfile path inside the context. */
  dockerfile: string;
  tag: string;
  platform: string;
  buildargs?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Every line of the build's output (also the ones onProgress hides). */
  onLine: (line: string) => void;
}

export interface DockerBuildOutcome {
  ok: boolean;
  /** The engine's error message when !ok ("The command '/bin/sh -c ...' returned a non-zero code: 101"). */
  error: string | null;
}

/**
 * `docker build` through the Engine API (dockerode; the legacy builder, as Debian's docker.io 20.10
 * has no BuildKit): host network, the requested platform, intermediate containers removed. The
 * JSON message stream is turned into output lines as it arrives.
 */
export async function runDockerBuild(docker: Docker, request: DockerBuildRequest): Promise<DockerBuildOutcome> {
  let error: string | null = null;
  // The legacy builder colours a step's stderr (ESC[91m ... ESC[0m): the log and progress get plain text.
  const output = createLineSplitter((line) => request.onLine(line.replace(ANSI, "")));
  const messages = createLineSplitter((raw) => {
    if (!raw.trim()) return;
    let message: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(raw);
    } catch {
      output.push(`${raw}\n`);
      return;
    }
    if (typeof message.stream === "string") output.push(message.stream);
    else if (typeof message.status === "string") output.push(`${message.status}\n`);
    if (message.error || message.errorDetail) {
      error = (message.errorDetail?.message ?? message.error ?? "unknown error").trim();
      output.push(`ERROR: ${error}\n`);
    }
  });
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.buildImage(request.context, {
      t: request.tag,
      dockerfile: request.dockerfile,
      platform: request.platform,
      networkmode: "host",
      rm: true,
      forcerm: true,
      pull: false,
      buildargs: request.buildargs ?? {},
      abortSignal: request.signal,
    } as Docker.ImageBuildOptions)) as NodeJS.ReadableStream;
  } catch (cause) {
    if ((cause as { code?: string }).code === "ECONNREFUSED" || (cause as { code?: string }).code === "ENOENT") {
      throw new EngineUnavailableError(engineEndpoint(docker), cause);
    }
    const message = ((cause as { json?: { message?: string } }).json?.message ?? (cause as Error).message).trim();
    return { ok: false, error: message };
  }
  try {
    for await (const chunk of stream) messages.push(chunk as Buffer);
  } catch (cause) {
    error ??= `the build stream broke: ${(cause as Error).message}`;
  }
  messages.flush();
  output.flush();
  return { ok: error === null, error };
}

/**
 * Copy the `.whl` files under `dir` out of an image (a created, never started container; removed
 * afterwards) into `hostDir`. Returns their file names.
 */
export async function copyWheelsOut(docker: Docker, image: string, dir: string, hostDir: string): Promise<string[]> {
  const container = await docker.createContainer({ Image: image, Cmd: ["/bin/true"], Labels: { "org.memray-cli.debug-build": "extract" } });
  const wheels: string[] = [];
  try {
    const archive = (await container.getArchive({ path: dir })) as NodeJS.ReadableStream;
    const extract = tar.extract();
    extract.on("entry", (header, stream, next) => {
      const name = path.posix.basename(header.name);
      if (header.type === "file" && name.endsWith(".whl")) {
        wheels.push(name);
        pipeline(stream, createWriteStream(path.join(hostDir, name))).then(() => next(), next);
      } else {
        stream.on("end", () => next());
        stream.resume();
      }
    });
    await pipeline(archive, extract);
  } finally {
    await container.remove({ force: true }).catch((error: unknown) => debug("could not remove the extract container: %O", error));
  }
  return wheels.sort();
}

/** Remove an image we tagged; with `prune`, also its untagged parent layers (never a tagged one). */
export async function removeImage(docker: Docker, image: string, prune = true): Promise<void> {
  await docker
    .getImage(image)
    .remove({ noprune: !prune })
    .catch((error: unknown) => debug("could not remove %s: %O", image, error));
}

/** Remove the dangling layers a failed build of ours left (only images carrying our wheel label). */
export async function pruneFailedLayers(docker: Docker, label: string): Promise<void> {
  await docker.pruneImages({ filters: { label: [label], dangling: ["true"] } }).catch((error: unknown) => debug("prune failed: %O", error));
}
