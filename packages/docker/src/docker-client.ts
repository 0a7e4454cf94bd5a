import { readFileSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * dockerode options for an environment, following the Docker CLI's variables: DOCKER_HOST
 * (unix://, tcp://, ssh://, npipe://), DOCKER_TLS_VERIFY, DOCKER_CERT_PATH. Every connection field is
 * set explicitly so that what the process's own environment says cannot leak in.
 */
export function dockerOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): Docker.DockerOptions {
  const dockerHost = env.DOCKER_HOST?.trim();
  const none = { host: undefined, port: undefined, protocol: undefined } as const;
  if (!dockerHost) return { ...none, socketPath: DEFAULT_DOCKER_SOCKET };
  if (dockerHost.startsWith("unix://")) return { ...none, socketPath: dockerHost.slice("unix://".length) || DEFAULT_DOCKER_SOCKET };
  if (dockerHost.startsWith("npipe://")) return { ...none, socketPath: dockerHost.slice("npipe://".length) || "//./pipe/docker_engine" };
  if (dockerHost.startsWith("/")) return { ...none, socketPath: dockerHost };
  const url = new URL(dockerHost.includes("//") ? dockerHost : `tcp://${dockerHost}`);
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
    options.ca = readFileSync(path.join(env.DOCKER_CERT_PATH, "ca.pem"));
    options.cert = readFileSync(path.join(env.DOCKER_CERT_PATH, "cert.pem"));
    options.key = readFileSync(path.join(env.DOCKER_CERT_PATH, "key.pem"));
  }
  return options;
}

/** Where the client will connect, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`. */
export function describeDockerEndpoint(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  if (modem.host) return `${modem.protocol === "https" ? "tcp+tls" : modem.protocol === "ssh" ? "ssh" : "tcp"}://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  return `unix://${DEFAULT_DOCKER_SOCKET}`;
}

/**
 * The Docker client the CLI hands to every function of this package. Honours DOCKER_HOST and friends
 * from `env` (default: this process's environment). Constructing it does not connect.
 */
export function createDockerClient(env: Readonly<Record<string, string | undefined>> = process.env): Docker {
  return new Docker(dockerOptionsFromEnv(env));
}
