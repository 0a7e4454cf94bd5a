import { existsSync } from "node:fs";
import https from "node:https";
import http from "node:http";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { InvalidOptionError } from "@alpiq/memray-core";
import createDebug from "debug";
import { KubernetesForbiddenError, KubernetesUnavailableError } from "./errors.js";

const debug = createDebug("memray:kubernetes");

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface KubeClientOptions {
  /** The environment (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** --context: a context of the kubeconfig (default: its current-context). */
  context?: string | undefined;
  /** --namespace (default: the context's namespace, else "default"). */
  namespace?: string | undefined;
}

/**
 * The connection to one cluster as the user's kubeconfig describes it, read like kubectl reads it:
 * KUBECONFIG (a `:`-separated list, merged, files that do not exist skipped), else ~/.kube/config, else
 * the in-cluster service account. Typed API clients plus the two raw calls the typed ones cannot make
 * with backpressure (streamed GETs for logs; WebSockets for exec and port-forward, in channel-socket.ts).
 */
export interface KubeClient {
  readonly config: KubeConfig;
  /** The context in use (`--context` or the kubeconfig's current-context); "in-cluster" inside a pod. */
  readonly context: string;
  /** API server URL. */
  readonly server: string;
  /** --namespace, else the context's namespace, else "default". */
  readonly namespace: string;
  /** Where the configuration came from, for messages: the kubeconfig files, or "in-cluster". */
  readonly source: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  /** GET an API path as a stream (pod logs): the response, or a typed error for a non-2xx answer. */
  getStream(apiPath: string, signal?: AbortSignal): Promise<IncomingMessage>;
  /** GET an API path as JSON (the metrics API, which has no typed client). */
  getJson<T>(apiPath: string, signal?: AbortSignal): Promise<T>;
}

/**
 * The only place a KubeConfig is built (the CLI calls this). Constructing does not connect; a missing
 * kubeconfig is KubernetesUnavailableError, an unknown --context an InvalidOptionError (exit 2).
 */
export function createKubeClient(options: KubeClientOptions = {}): KubeClient {
  const env = options.env ?? process.env;
  const config = new KubeConfig();
  let source: string;
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  const home = env.HOME || os.homedir();
  if (listed.length > 0) {
    const files = listed.filter((file) => existsSync(file));
    if (files.length === 0) {
      throw new KubernetesUnavailableError(null, options.context ?? null, `KUBECONFIG names no file that exists (${listed.join(path.delimiter)})`, {
        hint: 'point KUBECONFIG at your cluster\'s kubeconfig (e.g. eval "$(tools/cluster/cluster env)" for the local cluster)',
      });
    }
    loadFile(config, files[0]!);
    for (const file of files.slice(1)) {
      const other = new KubeConfig();
      loadFile(other, file);
      mergeLikeKubectl(config, other);
    }
    source = files.join(path.delimiter);
  } else if (home && existsSync(path.join(home, ".kube", "config"))) {
    source = path.join(home, ".kube", "config");
    loadFile(config, source);
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
    config.loadFromCluster();
    source = "in-cluster";
  } else {
    throw new KubernetesUnavailableError(null, options.context ?? null, "No kubeconfig: KUBECONFIG is unset and ~/.kube/config does not exist", {
      hint: 'set KUBECONFIG to your cluster\'s kubeconfig (for the local test cluster: eval "$(tools/cluster/cluster env)")',
    });
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((context) => context.name);
      throw new InvalidOptionError(`--context: expected a context of ${source}, but "${options.context}" is not one (contexts: ${known.join(", ") || "none"})`);
    }
    config.setCurrentContext(options.context);
  }
  const context = config.getCurrentContext() || (source === "in-cluster" ? "in-cluster" : "");
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new KubernetesUnavailableError(null, context || null, `The kubeconfig ${source} has no cluster for context "${context || "(none)"}"`, {
      hint: "pick a context with a cluster with --context NAME (kubectl config get-contexts)",
    });
  }
  const namespace = options.namespace || config.getContextObject(context)?.namespace || "default";
  const server = cluster.server.replace(/\/+$/, "");
  debug("kubeconfig %s, context %s, server %s, namespace %s", source, context, server, namespace);

  const request = async (apiPath: string, signal?: AbortSignal): Promise<IncomingMessage> => {
    const url = new URL(server + apiPath);
    const opts: https.RequestOptions = { method: "GET", headers: { Accept: "application/json, */*" } };
    await config.applyToHTTPSOptions(opts as never);
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = transport.request(url, { ...opts, ...(signal ? { signal } : {}) }, resolve);
      req.once("error", (error) => reject(toApiError(error, { server, context, verb: "get", resource: apiPath })));
      req.end();
    });
  };
  const failIfNot2xx = async (response: IncomingMessage, apiPath: string) => {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return;
    let body = "";
    for await (const chunk of response) {
      if (body.length < 64 * 1024) body += String(chunk);
    }
    throw apiStatusError(status, body, { server, context, verb: "get", resource: apiPath, namespace: null });
  };

  return {
    config,
    context,
    server,
    namespace,
    source,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    async getStream(apiPath, signal) {
      const response = await request(apiPath, signal);
      await failIfNot2xx(response, apiPath);
      return response;
    },
    async getJson<T>(apiPath: string, signal?: AbortSignal) {
      const response = await request(apiPath, signal);
      await failIfNot2xx(response, apiPath);
      let text = "";
      for await (const chunk of response) text += String(chunk);
      return JSON.parse(text) as T;
    },
  };
}

/** kubectl's merge of KUBECONFIG files: the first file that sets a value (current-context, a named cluster, user or context) wins. */
function mergeLikeKubectl(config: KubeConfig, other: KubeConfig): void {
  if (!config.currentContext && other.currentContext) config.setCurrentContext(other.currentContext);
  for (const cluster of other.clusters) if (!config.clusters.some((known) => known.name === cluster.name)) config.addCluster(cluster);
  for (const user of other.users) if (!config.users.some((known) => known.name === user.name)) config.addUser(user);
  for (const context of other.contexts) if (!config.contexts.some((known) => known.name === context.name)) config.addContext(context);
}

function loadFile(config: KubeConfig, file: string): void {
  try {
    config.loadFromFile(file);
  } catch (error) {
    throw new KubernetesUnavailableError(null, null, `The kubeconfig ${file} cannot be read: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
      hint: "fix or replace the file (kubectl config view shows what kubectl makes of it)",
    });
  }
}

/** A failed API request (HTTP status with a Kubernetes Status body), with its statusCode. */
export class ApiStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string | null,
    message: string,
  ) {
    super(message);
    this.name = "ApiStatusError";
  }
}

export interface ApiCallContext {
  server: string;
  context: string | null;
  /** What was attempted, for a 403 the server did not explain: `get`, `pods`. */
  verb: string;
  resource: string;
  namespace?: string | null;
}

/** The Status a non-2xx answer carries (`{kind: "Status", message, reason, code}`), or the raw text. */
export function parseStatusBody(body: unknown): { message: string; reason: string | null } {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.trim().slice(0, 500), reason: null };
    }
  }
  if (value && typeof value === "object") {
    const status = value as { message?: unknown; reason?: unknown };
    return {
      message: typeof status.message === "string" ? status.message : JSON.stringify(value).slice(0, 500),
      reason: typeof status.reason === "string" ? status.reason : null,
    };
  }
  return { message: String(value ?? ""), reason: null };
}

const FORBIDDEN = /User "([^"]+)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/;

/** An HTTP status + body from the API as this package's typed errors (403, 401) or an ApiStatusError. */
export function apiStatusError(statusCode: number, body: unknown, call: ApiCallContext): Error {
  const { message, reason } = parseStatusBody(body);
  if (statusCode === 403) {
    const match = FORBIDDEN.exec(message);
    if (match) {
      const [, user, verb, resource, group, namespace] = match;
      const qualified = group ? `${resource}.${group}` : resource!;
      return new KubernetesForbiddenError(verb!, qualified, namespace ?? call.namespace ?? null, user ?? null, message);
    }
    return new KubernetesForbiddenError(call.verb, call.resource, call.namespace ?? null, null, message || "forbidden");
  }
  if (statusCode === 401) {
    return new KubernetesUnavailableError(
      call.server,
      call.context,
      `The API server at ${call.server} rejected the credentials of context "${call.context ?? ""}" (401 Unauthorized)`,
      {
        hint: "refresh the credentials in your kubeconfig (a new token or certificate), or pick another --context",
      },
    );
  }
  return new ApiStatusError(statusCode, reason, `${call.verb} ${call.resource}: HTTP ${statusCode}${message ? `: ${message}` : ""}`);
}

/**
 * Anything a typed API call threw as this package's errors: an ApiException with a status becomes
 * apiStatusError's answer; a network failure (refused, DNS, TLS) KubernetesUnavailableError.
 */
export function toApiError(error: unknown, call: ApiCallContext): Error {
  if (error instanceof KubernetesForbiddenError || error instanceof KubernetesUnavailableError || error instanceof ApiStatusError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "number" && code >= 400) return apiStatusError(code, (error as { body?: unknown }).body, call);
  const message = networkMessage(error);
  return new KubernetesUnavailableError(
    call.server,
    call.context,
    `The Kubernetes API server at ${call.server} (context "${call.context ?? ""}") does not answer: ${message}`,
    {
      cause: error,
    },
  );
}

function networkMessage(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]/.test(code)) return `${code} (${current.message.split("\n")[0]})`;
    current = current.cause;
  }
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}
