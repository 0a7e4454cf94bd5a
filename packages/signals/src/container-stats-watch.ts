import type { IncomingMessage } from "node:http";
import { createLineSplitter } from "@alpiq/memray-core";
import createDebug from "debug";
import { isNotRunningReading, snapshotFromReadings, type ContainerReading, type DockerStatsResponse, type StatsReadings, type StatsSnapshot } from "./container-stats.js";
import type { SignalsDockerClient, StackContainer } from "./stack-discovery.js";

const debug = createDebug("memray:signals:stats");

/** `docker stats` streams of a set of containers, kept open until a snapshot is taken from them. */
export interface ContainerStatsWatch {
  /**
   * A snapshot from each container's newest reading that carries the daemon's CPU window, waiting for one
   * where the stream has not sent it yet (its first reading has none); failures are per container.
   */
  snapshot(phase: StatsSnapshot["phase"], options?: { signal?: AbortSignal; now?: () => Date }): Promise<StatsReadings>;
  /** Close every stream (idempotent). */
  close(): void;
}

interface Watched {
  raw?: DockerStatsResponse;
  error?: unknown;
  ended: boolean;
  wake: Array<() => void>;
}

/**
 * Stream `docker stats` of each container from now on: the daemon sends a reading about every second with
 * its CPU window (precpu_stats → cpu_stats), exactly what `docker stats --no-stream` waits for. The first
 * windowed reading comes 1-2 s after subscribing (Docker 20.10's collector samples once a second and only
 * the first subscriber wakes it), so a caller that starts the watch while it prepares waits for less of it.
 */
export function watchContainerStats(docker: SignalsDockerClient, containers: readonly StackContainer[]): ContainerStatsWatch {
  const stop = new AbortController();
  const state = new Map<string, Watched>();
  const settle = (watched: Watched) => watched.wake.splice(0).forEach((wake) => wake());

  for (const container of containers) {
    const watched: Watched = { ended: false, wake: [] };
    state.set(container.id, watched);
    const end = (error?: unknown) => {
      if (watched.ended) return;
      watched.ended = true;
      if (!watched.raw) watched.error = error ?? new Error(`the stats stream of ${container.name} ended without a reading (stopped?)`);
      settle(watched);
    };
    docker
      .getContainer(container.id)
      .stats({ stream: true, abortSignal: stop.signal } as { stream: true })
      .then((stream) => {
        const lines = createLineSplitter((line) => {
          if (!line.trim()) return;
          try {
            const raw = JSON.parse(line) as DockerStatsResponse;
            // The first reading has no CPU window (empty precpu_stats); a stopped container's is all zero.
            if (raw.precpu_stats?.system_cpu_usage || isNotRunningReading(raw)) {
              watched.raw = raw;
              settle(watched);
            }
          } catch (error) {
            debug("%s: unreadable stats line: %O", container.name, error);
          }
        });
        const message = stream as IncomingMessage;
        message.on("data", (chunk: Buffer) => lines.push(chunk));
        message.on("end", () => end());
        message.on("error", (error) => end(error));
        message.on("close", () => end());
      })
      .catch((error: unknown) => end(error));
  }

  const close = () => {
    if (!stop.signal.aborted) stop.abort(new Error("stats watch closed"));
  };

  function reading(container: StackContainer, signal?: AbortSignal): Promise<ContainerReading> {
    const watched = state.get(container.id);
    if (!watched) return Promise.resolve({ error: new Error(`${container.name} is not watched`) });
    return new Promise((resolve) => {
      const check = () => {
        if (watched.raw) resolve({ raw: watched.raw });
        else if (watched.error !== undefined || watched.ended) resolve({ error: watched.error });
        else if (signal?.aborted) resolve({ error: signal.reason });
        else return false;
        return true;
      };
      if (check()) return;
      watched.wake.push(check);
      signal?.addEventListener("abort", check, { once: true });
    });
  }

  return {
    snapshot: (phase, options = {}) => snapshotFromReadings(containers, phase, (container) => reading(container, options.signal), options),
    close,
  };
}
