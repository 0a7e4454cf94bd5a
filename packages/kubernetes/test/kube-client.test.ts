import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { InvalidOptionError } from "@alpiq/memray-core";
import { describe, expect, it } from "vitest";
import { KubernetesForbiddenError, KubernetesUnavailableError } from "../src/errors.js";
import { type ApiStatusError, apiStatusError, createKubeClient, toApiError } from "../src/kube-client.js";

const config = (name: string, server: string, namespace?: string) => `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster: {server: ${server}}
users:
- name: ${name}
  user: {token: t-${name}}
contexts:
- name: ${name}
  context: {cluster: ${name}, user: ${name}${namespace ? `, namespace: ${namespace}` : ""}}
current-context: ${name}
`;

async function files() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kubeconfig-"));
  const a = path.join(dir, "a.yaml");
  const b = path.join(dir, "b.yaml");
  await writeFile(a, config("alpha", "https://127.0.0.1:1", "team-a"));
  await writeFile(b, config("beta", "https://127.0.0.1:2/"));
  return { dir, a, b };
}

describe("createKubeClient reads the kubeconfig like kubectl", () => {
  it("KUBECONFIG: a list, merged, missing files skipped; the first file's current-context wins", async () => {
    const { dir, a, b } = await files();
    const client = createKubeClient({ env: { KUBECONFIG: [path.join(dir, "missing.yaml"), a, b].join(path.delimiter) } });
    expect(client.context).toBe("alpha");
    expect(client.server).toBe("https://127.0.0.1:1");
    expect(client.namespace).toBe("team-a");
    expect(client.source).toBe([a, b].join(path.delimiter));
    const beta = createKubeClient({ env: { KUBECONFIG: [a, b].join(path.delimiter) }, context: "beta", namespace: "ns1" });
    expect([beta.context, beta.server, beta.namespace]).toEqual(["beta", "https://127.0.0.1:2", "ns1"]);
    expect(createKubeClient({ env: { KUBECONFIG: b } }).namespace).toBe("default");
  });

  it("the same context name in two files: the first file's wins, as with kubectl (no error)", async () => {
    const { dir, a } = await files();
    const shadow = path.join(dir, "shadow.yaml");
    await writeFile(shadow, config("alpha", "https://127.0.0.1:9", "team-z"));
    const client = createKubeClient({ env: { KUBECONFIG: `${a}:${shadow}` } });
    expect([client.server, client.namespace]).toEqual(["https://127.0.0.1:1", "team-a"]);
  });

  it("~/.kube/config when KUBECONFIG is unset", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "home-"));
    const { a } = await files();
    await import("node:fs/promises").then(async (fs) => {
      await fs.mkdir(path.join(home, ".kube"));
      await fs.copyFile(a, path.join(home, ".kube", "config"));
    });
    expect(createKubeClient({ env: { HOME: home } }).context).toBe("alpha");
  });

  it("no kubeconfig, or only missing files: KubernetesUnavailableError (exit 3) saying so", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "home-"));
    expect(() => createKubeClient({ env: { HOME: home } })).toThrow(KubernetesUnavailableError);
    expect(() => createKubeClient({ env: { HOME: home } })).toThrow(/No kubeconfig: KUBECONFIG is unset and ~\/\.kube\/config does not exist/);
    const error = (() => {
      try {
        createKubeClient({ env: { KUBECONFIG: "/nope/a:/nope/b" } });
      } catch (caught) {
        return caught as KubernetesUnavailableError;
      }
    })();
    expect(error?.code).toBe("KUBERNETES_UNAVAILABLE");
    expect(error?.exitCode).toBe(3);
    expect(error?.message).toMatch(/KUBECONFIG names no file that exists \(\/nope\/a:\/nope\/b\)/);
  });

  it("an unknown --context is bad usage (exit 2) listing the contexts", async () => {
    const { a, b } = await files();
    const run = () => createKubeClient({ env: { KUBECONFIG: `${a}:${b}` }, context: "gamma" });
    expect(run).toThrow(InvalidOptionError);
    expect(run).toThrow(/--context: .* "gamma" is not one \(contexts: alpha, beta\)/);
  });
});

describe("API answers as typed errors", () => {
  const call = { server: "https://127.0.0.1:16443", context: "ctx", verb: "get", resource: "pods", namespace: "default" };

  it("403 names the verb, resource, namespace and user from the server's Status", () => {
    const body = JSON.stringify({
      kind: "Status",
      message:
        'pods "forecast-x" is forbidden: User "system:serviceaccount:default:ro" cannot create resource "pods/exec" in API group "" in the namespace "default"',
      reason: "Forbidden",
      code: 403,
    });
    const error = apiStatusError(403, body, call) as KubernetesForbiddenError;
    expect(error).toBeInstanceOf(KubernetesForbiddenError);
    expect([error.verb, error.resource, error.namespace, error.user, error.exitCode]).toEqual([
      "create",
      "pods/exec",
      "default",
      "system:serviceaccount:default:ro",
      3,
    ]);
    expect(error.message).toMatch(/the permission "create" on "pods\/exec" is missing/);
    expect(error.hint).toMatch(/resources: \["pods\/exec"\], verbs: \["get", "create"\]/);
    const apps = apiStatusError(
      403,
      { message: 'deployments.apps "x" is forbidden: User "u" cannot get resource "deployments" in API group "apps" in the namespace "n"' },
      call,
    ) as KubernetesForbiddenError;
    expect(apps.resource).toBe("deployments.apps");
    expect(apps.hint).toMatch(/apiGroups: \["apps"\], resources: \["deployments"\], verbs: \["get"\]/);
  });

  it("401 is unusable credentials; other statuses keep their code; network failures are KUBERNETES_UNAVAILABLE", () => {
    expect(apiStatusError(401, "Unauthorized", call)).toBeInstanceOf(KubernetesUnavailableError);
    const notFound = apiStatusError(404, { message: 'pods "x" not found', reason: "NotFound" }, call) as ApiStatusError;
    expect([notFound.statusCode, notFound.reason]).toEqual([404, "NotFound"]);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:16443"), { code: "ECONNREFUSED" });
    const down = toApiError(new Error("request failed", { cause: refused }), call);
    expect(down).toBeInstanceOf(KubernetesUnavailableError);
    expect(down.message).toMatch(/does not answer: ECONNREFUSED/);
  });
});
