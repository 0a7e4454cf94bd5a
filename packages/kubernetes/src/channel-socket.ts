import WebSocket from "ws";
import createDebug from "debug";
import { apiStatusError, toApiError, type ApiCallContext, type KubeClient } from "./kube-client.js";

const debug = createDebug("memray:kubernetes");

/** Channel protocols of exec (v5 can close stdin: what `tar -x` needs to see the end of its input). */
export const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;
export const PORT_FORWARD_PROTOCOLS = ["v4.channel.k8s.io", "portforward.k8s.io"] as const;

/** Channel numbers of the Kubernetes streaming protocol (the first byte of each binary message). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/**
 * Open a WebSocket to an API path (exec, portforward), authenticated as the kubeconfig says. A refusal
 * of the upgrade comes back typed: 403 → KubernetesForbiddenError naming the permission, 401 →
 * KubernetesUnavailableError, anything else an ApiStatusError with the server's Status message (404:
 * the pod is gone). Resolves once the socket is open.
 */
export async function openChannelSocket(
  client: KubeClient,
  apiPath: string,
  protocols: readonly string[],
  call: Omit<ApiCallContext, "server" | "context">,
  /** Attached before the upgrade completes: frames (and a close) that arrive with the upgrade's answer are not lost. */
  handlers: { onMessage(data: Buffer): void; onClose?(code: number, reason: Buffer): void },
): Promise<WebSocket> {
  const url = client.server.replace(/^http/, "ws") + apiPath;
  const options: Record<string, unknown> = {};
  await client.config.applyToHTTPSOptions(options as never);
  const context = { ...call, server: client.server, context: client.context };
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, [...protocols], { ...options, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    let settled = false;
    socket.on("message", (data: Buffer, isBinary: boolean) => handlers.onMessage(isBinary ? data : Buffer.from(data)));
    socket.once("close", (code, reason) => handlers.onClose?.(code, reason));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      response.once("end", () => {
        settled = true;
        debug("upgrade of %s refused: %d %s", apiPath, response.statusCode, body.slice(0, 300));
        reject(apiStatusError(response.statusCode ?? 0, body, context));
        socket.terminate();
      });
      response.once("error", (error) => {
        settled = true;
        reject(toApiError(error, context));
      });
    });
    socket.once("open", () => {
      settled = true;
      resolve(socket);
    });
    socket.on("error", (error) => {
      if (settled) return debug("socket error after the upgrade was answered: %s", error.message);
      settled = true;
      reject(toApiError(error, context));
    });
  });
}

/** A binary message on `channel`. */
export function frame(channel: number, payload?: Buffer): Buffer {
  const prefix = Buffer.from([channel]);
  return payload ? Buffer.concat([prefix, payload]) : prefix;
}
