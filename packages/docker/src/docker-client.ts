import { readFileSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { EngineUnavailableError } from "./errors.js";
import { loadDockerode } from "./load-dockerode.js";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** What DOCKER_HOST may say (the Docker CLI's client schemes), for messages. */
export const SUPPORTED_DOCKER_HOSTS = ["unix:///path/to/docker.sock", "tcp://HOST:PORT", "ssh://[USER@]HOST", "npipe:////./pipe/NAME"] as const;

/**
 * dockerode options for an environment, following the Docker CLI's variables: DOCKER_HOST
 * (unix://, tcp://, ssh://, npipe://, an absolute socket path, or a bare HOST:PORT meaning tcp),
 * DOCKER_TLS_VERIFY, DOCKER_CERT_PATH. Every connection field is set explicitly so that what the
 * process's own environment says cannot leak in. Throws EngineUnavailableError for a DOCKER_HOST
 * it cannot use (an unknown scheme is never guessed to be tcp) or unreadable TLS files.
 */
export function dockerOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): Docker.DockerOptions {
  const dockerHost = env.DOCKER_HOST?.trim();
  const none = { host: undefined, port: undefined, protocol: undefined } as const;
  if (!dockerHost) return { ...none, socketPath: DEFAULT_DOCKER_SOCKET };
  if (dockerHost.startsWith("unix://")) return { ...none, socketPath: dockerHost.slice("unix://".length) || DEFAULT_DOCKER_SOCKET };
  if (dockerHost.startsWith("npipe://")) return { ...none, socketPath: dockerHost.slice("npipe://".length) || "//./pipe/docker_engine" };
  if (dockerHost.startsWith("/")) return { ...none, socketPath: dockerHost };
  const url = parseDockerHost(dockerHost);
  if (url.protocol === "ssh:") {
    return {
      socketPath: undefined,
      protocol: "ssh",
      host: url.hostname,
      port: url.port || 22,
      username: decodeURIComponent(url.username) || undefined,
      sshOptions: { agent: env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions;
  }
  const tls = env.DOCKER_TLS_VERIFY === "1" || url.port === "2376";
  const options: Docker.DockerOptions = {
    socketPath: undefined,
    protocol: tls ? "https" : "http",
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
  };
  if (env.DOCKER_CERT_PATH) {
    const certPath = env.DOCKER_CERT_PATH;
    try {
      options.ca = readFileSync(path.join(certPath, "ca.pem"));
      options.cert = readFileSync(path.join(certPath, "cert.pem"));
      options.key = readFileSync(path.join(certPath, "key.pem"));
    } catch (error) {
      throw new EngineUnavailableError(dockerHost, error, {
        message: `DOCKER_CERT_PATH=${certPath} does not hold readable ca.pem, cert.pem and key.pem for ${dockerHost}`,
        hint: "point DOCKER_CERT_PATH at the engine's client certificates, or unset it (and DOCKER_TLS_VERIFY) for a plain tcp:// engine",
      });
    }
  }
  return options;
}

/** A tcp:// or ssh:// DOCKER_HOST (a bare HOST:PORT is tcp, as for the Docker CLI). */
function parseDockerHost(value: string): URL {
  const invalid = (why: string, cause?: unknown) =>
    new EngineUnavailableError(value, cause, {
      message: `DOCKER_HOST=${value} ${why}; DOCKER_HOST must be one of ${SUPPORTED_DOCKER_HOSTS.join(", ")} or an absolute socket path`,
      hint: `fix DOCKER_HOST, or unset it to use the default socket unix://${DEFAULT_DOCKER_SOCKET}`,
    });
  let url: URL;
  try {
    url = new URL(value.includes("://") ? value : `tcp://${value}`);
  } catch (error) {
    throw invalid("is not a valid address", error);
  }
  if (url.protocol !== "tcp:" && url.protocol !== "ssh:") throw invalid(`uses the unsupported scheme "${url.protocol}//"`);
  if (!url.hostname) throw invalid("names no host");
  return url;
}

/** Where the client will connect, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`. */
export function describeDockerEndpoint(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  if (modem.host)
    return `${modem.protocol === "https" ? "tcp+tls" : modem.protocol === "ssh" ? "ssh" : "tcp"}://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  return `unix://${DEFAULT_DOCKER_SOCKET}`;
}

/**
 * The Docker client the CLI hands to every function of this package. Honours DOCKER_HOST and friends
 * from `env` (default: this process's environment). Constructing it does not connect; a DOCKER_HOST
 * it cannot use throws EngineUnavailableError.
 */
export function createDockerClient(env: Readonly<Record<string, string | undefined>> = process.env): Docker {
  const options = dockerOptionsFromEnv(env);
  return new (loadDockerode())(options);
}
