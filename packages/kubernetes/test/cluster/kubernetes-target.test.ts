import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  detectServiceApp,
  detectServicePort,
  findServicePython,
  InvalidOptionError,
  TargetCopyError,
  TargetExecError,
  type ExecResult,
} from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKubeClient,
  forwardPodPort,
  KubernetesForbiddenError,
  KubernetesTarget,
  PodNotFoundError,
  PodNotReadyError,
  podService,
  type KubeClient,
} from "../../src/index.js";
import { applyForecastDeployment, deleteDeployment, deleteRestricted, restrictedKubeconfig } from "@alpiq/memray-test-support/cluster";
import { clusterClient } from "./cluster.js";

const client = clusterClient();
const NOT_READY = "memray-k8s-test-notready";

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

describe.runIf(client)("KubernetesTarget on the local cluster", () => {
  const kube = client as KubeClient;
  let forecast: KubernetesTarget;
  beforeAll(async () => {
    forecast = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "forecast" } });
  });

  describe("resolving pods", () => {
    it("deploy/NAME, -l SELECTOR and pod/NAME find the same Ready pod; the default container is kubectl's", async () => {
      expect(forecast.kind).toBe("kubernetes");
      expect(forecast.name).toBe(`default/${forecast.podName}`);
      expect(forecast.container).toBe("forecast"); // the kubectl.kubernetes.io/default-container annotation, not the first listed
      expect(forecast.owner).toEqual({ kind: "Deployment", name: "forecast" });
      const bySelector = await KubernetesTarget.connect({ client: kube, ref: { kind: "selector", selector: "app=forecast" } });
      const byName = await KubernetesTarget.connect({ client: kube, ref: { kind: "pod", name: forecast.podName }, namespace: "default" });
      expect([bySelector.podName, byName.podName]).toEqual([forecast.podName, forecast.podName]);
      const sidecar = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "forecast" }, container: "wiremock" });
      expect((await sidecar.exec(["java", "-version"])).stderr).toMatch(/openjdk/i);
    });

    it("nothing matches: PodNotFoundError (exit 3) listing the namespace's pods", async () => {
      const missing = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "no-such-deploy" } }).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(PodNotFoundError);
      expect((missing as PodNotFoundError).exitCode).toBe(3);
      expect((missing as Error).message).toMatch(/No deployment no-such-deploy in namespace default\. Pods in default:\n {2}forecast-\S+ {2}Running {2}Ready/);
      await expect(KubernetesTarget.connect({ client: kube, ref: { kind: "selector", selector: "app=nothing" } })).rejects.toThrow(
        /No pod matches -l app=nothing/,
      );
      await expect(KubernetesTarget.connect({ client: kube, ref: { kind: "pod", name: "forecast-gone" } })).rejects.toThrow(
        /No pod forecast-gone in namespace default/,
      );
      await expect(KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "forecast" }, namespace: "kube-public" })).rejects.toThrow(
        PodNotFoundError,
      );
    });

    it("a --container the pod does not have is bad usage naming its containers", async () => {
      const error = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: "forecast" }, container: "web" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(/--container: expected a container of pod forecast-\S+ \(forecast, wiremock\), but got "web"/);
    });

    it("pods that never get Ready: PodNotReadyError (exit 3) saying why", async () => {
      applyForecastDeployment(NOT_READY, { ready: false });
      try {
        let error: unknown;
        for (let attempt = 0; attempt < 60; attempt++) {
          error = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: NOT_READY } }).catch((e: unknown) => e);
          if (error instanceof PodNotReadyError && /Running/.test((error as Error).message)) break;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        expect(error).toBeInstanceOf(PodNotReadyError);
        expect((error as PodNotReadyError).exitCode).toBe(3);
        expect((error as Error).message).toMatch(
          new RegExp(`No Ready pod for deploy/${NOT_READY} in namespace default:\\n  ${NOT_READY}-\\S+  Running  not Ready \\(ContainersNotReady\\)`),
        );
      } finally {
        deleteDeployment(NOT_READY);
      }
    });
  });

  describe("exec through the API", () => {
    it("argv, exit codes from the status channel, environment, working directory and stdin", async () => {
      const run = await forecast.exec(
        ["python3", "-c", "import os, sys; print(os.getcwd(), os.environ['A'], repr(sys.argv[1])); sys.stderr.write('e\\n'); sys.exit(7)", "a b;$(x)"],
        {
          env: { A: "x y" },
          cwd: "/tmp",
        },
      );
      expect(run).toEqual({ exitCode: 7, exitSignal: undefined, stdout: "/tmp x y 'a b;$(x)'\n", stderr: "e\n" });
      expect(await forecast.exec(["cat"], { input: "héllo\n" })).toMatchObject({ exitCode: 0, stdout: "héllo\n" });
      const missing = await forecast.exec(["no-such-program", "x"]);
      expect(missing.exitCode).toBe(127);
      expect(missing.stderr).toMatch(/^no-such-program: command not found/);
    });

    it("output is streamed with backpressure: a slow consumer slows the pod, every byte arrives in order", async () => {
      let received = 0;
      let chunks = 0;
      let last = "";
      const run = await forecast.exec(["python3", "-c", "import sys\nfor i in range(200000): sys.stdout.write('%08d\\n' % i)"], {
        buffer: false,
        onStdout: async (chunk) => {
          received += Buffer.byteLength(chunk);
          last = (last + chunk).slice(-9);
          if (++chunks % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        },
      });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe("");
      expect(received).toBe(200000 * 9);
      expect(last).toBe("00199999\n");
    });

    it("an aborted exec (the hard stop) kills the process in the pod: closing an exec alone would not", async () => {
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 1500);
      const started = Date.now();
      const run = await forecast.exec(["sleep", "313"], { signal: abort.signal });
      expect(run.exitCode).toBe(137);
      expect(Date.now() - started).toBeLessThan(10_000);
      const left = await forecast.exec(["sh", "-c", 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done']);
      expect(left.stdout).not.toMatch(/sleep 313/);
    });
  });

  describe("copy in and out as tar over exec", () => {
    it.each(["tar", "python"] as const)("with %s: the include list travels, modes and nesting kept", async (tool) => {
      const target = new KubernetesTarget(
        kube,
        { pod: forecast.pod, namespace: forecast.namespace, container: forecast.container, owner: forecast.owner },
        { copyTool: tool },
      );
      target.useInterpreter("/opt/venv/bin/python3");
      const host = await mkdtemp(path.join(os.tmpdir(), "k8s-copy-"));
      const work = path.join(host, "work");
      await mkdir(path.join(work, "pkg"), { recursive: true });
      await writeFile(path.join(work, "main.py"), "print('hi')\n", { mode: 0o755 });
      await writeFile(path.join(work, "pkg", "mod.py"), "X = 1\n");
      await writeFile(path.join(work, "secret.txt"), "not copied\n");
      const scratch = await target.scratchDir();
      try {
        await target.copyIn(work, scratch, { include: new Set(["work/main.py", "work/pkg/mod.py"]) });
        const listed = await target.exec(["find", `${scratch}/work`, "-type", "f", "-printf", "%P %m\n"]);
        expect(listed.stdout.trim().split("\n").sort()).toEqual(["main.py 755", "pkg/mod.py 644"]);
        const out = path.join(host, "out");
        await target.copyOut(`${scratch}/work`, out);
        expect(await readFile(path.join(out, "pkg", "mod.py"), "utf8")).toBe("X = 1\n");
        expect((await stat(path.join(out, "main.py"))).mode & 0o777).toBe(0o755);
      } finally {
        await target.exec(["rm", "-rf", scratch]);
      }
    });

    it("128 MiB out of the pod is streamed, never held whole: the bytes match and the CLI's memory stays flat", async () => {
      const scratch = await forecast.scratchDir();
      try {
        const made = await forecast.exec(["sh", "-c", 'head -c 134217728 /dev/urandom > "$1/big.bin" && sha256sum "$1/big.bin"', "sh", scratch]);
        expect(made.exitCode, made.stderr).toBe(0);
        const out = await mkdtemp(path.join(os.tmpdir(), "k8s-big-"));
        const before = process.memoryUsage().rss;
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        await forecast.copyOut(scratch, out).finally(() => clearInterval(sampler));
        expect(await sha256(path.join(out, "big.bin"))).toBe(made.stdout.split(" ")[0]);
        expect(peak - before).toBeLessThan(96 * 1024 * 1024);
      } finally {
        await forecast.exec(["rm", "-rf", scratch]);
      }
    });

    it("copying out a directory the pod does not have is COPY_OUT_FAILED saying so", async () => {
      const error = await forecast.copyOut("/tmp/memray-no-such-dir", await mkdtemp(path.join(os.tmpdir(), "k8s-none-"))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TargetCopyError);
      expect((error as TargetCopyError).code).toBe("COPY_OUT_FAILED");
      expect((error as Error).message).toMatch(/tar exited 2: .*memray-no-such-dir/s);
    });
  });

  describe("what the pod serves", () => {
    it("forecast: the venv's Python from waitress-serve's shebang, the app from its command, port 5000", async () => {
      const service = await podService(forecast);
      expect(service.command).toEqual(["waitress-serve", "--host=0.0.0.0", "--port=5000", "forecast_service.app:app"]);
      expect(service.workingDir).toBe("/srv/app");
      expect(service.env.UPSTREAM_URL).toBe("http://wiremock:8080");
      expect(await findServicePython(service)).toBe("/opt/venv/bin/python3");
      expect(await detectServiceApp(service)).toMatchObject({
        app: "forecast_service.app:app",
        appDir: "/srv/app",
        server: "waitress",
        port: 5000,
        source: "config",
      });
      expect(detectServicePort(service)).toEqual({ port: 5000, source: "preset" });
      expect(detectServicePort(service, { portOverride: 7000 })).toEqual({ port: 7000, source: "override" });
    });

    it("optimization: gunicorn's app and bind port", async () => {
      const optimization = await KubernetesTarget.connect({ client: kube, ref: { kind: "selector", selector: "app=optimization" } });
      const service = await podService(optimization);
      expect(await detectServiceApp(service)).toMatchObject({ app: "optimization_service.app:app", server: "gunicorn", port: 6000 });
      expect(detectServicePort(service)).toEqual({ port: 6000, source: "preset" });
    });
  });

  describe("port-forward through the API to 127.0.0.1", () => {
    it("the service answers on the host's loopback; a port nothing listens on is reported per connection", async () => {
      const forward = await forwardPodPort({ client: kube, pod: forecast.location, podPort: 5000 });
      try {
        const answer = await fetch(`http://127.0.0.1:${forward.hostPort}/health`);
        expect(await answer.json()).toMatchObject({ status: "ok", service: "forecast" });
      } finally {
        await forward.close();
      }
      const errors: Error[] = [];
      const refused = await forwardPodPort({ client: kube, pod: forecast.location, podPort: 5999, retrySeconds: 0.5, onError: (error) => errors.push(error) });
      try {
        await expect(fetch(`http://127.0.0.1:${refused.hostPort}/`)).rejects.toThrow();
        expect(errors[0]?.message).toMatch(/could not be forwarded to port 5999 .*connection refused/s);
      } finally {
        await refused.close();
      }
    });

    it("a connection made before the pod listens is retried and its first bytes replayed (a live server starting)", async () => {
      const server = forecast.exec(["python3", "-c", LATE_ECHO]);
      const forward = await forwardPodPort({ client: kube, pod: forecast.location, podPort: 7123 });
      try {
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(forward.hostPort, "127.0.0.1", () => socket.write("ping\n"));
          let text = "";
          socket.on("data", (chunk) => (text += chunk.toString()));
          socket.on("end", () => resolve(text));
          socket.on("error", reject);
        });
        expect(reply).toBe("pong ping\n");
      } finally {
        await forward.close();
        await server;
      }
    });
  });

  describe("RBAC", () => {
    const NAME = "memray-k8s-test-noexec";
    afterAll(() => deleteRestricted(NAME));

    it("a user without pods/exec: the pod resolves, exec is KubernetesForbiddenError (exit 3) naming the permission", async () => {
      const kubeconfig = await restrictedKubeconfig(
        NAME,
        '- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}\n- {apiGroups: [apps], resources: [deployments], verbs: [get]}',
      );
      const limited = createKubeClient({ env: { KUBECONFIG: kubeconfig } });
      const target = await KubernetesTarget.connect({ client: limited, ref: { kind: "deployment", name: "forecast" } });
      const error = await target.exec(["true"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubernetesForbiddenError);
      const forbidden = error as KubernetesForbiddenError;
      expect([forbidden.code, forbidden.exitCode, forbidden.resource, forbidden.namespace, forbidden.user]).toEqual([
        "KUBERNETES_FORBIDDEN",
        3,
        "pods/exec",
        "default",
        `system:serviceaccount:default:${NAME}`,
      ]);
      expect(["get", "create"]).toContain(forbidden.verb);
      expect(forbidden.hint).toMatch(/resources: \["pods\/exec"\], verbs: \["get", "create"\]/);
      const list = await KubernetesTarget.connect({ client: limited, ref: { kind: "deployment", name: "forecast" }, namespace: "kube-system" }).catch(
        (e: unknown) => e,
      );
      expect((list as KubernetesForbiddenError).resource).toMatch(/^deployments\.apps$/);
    });
  });

  describe("a pod that goes away", () => {
    const NAME = "memray-k8s-test-victim";
    afterAll(() => deleteDeployment(NAME));

    it("lostReason says the pod was deleted; an exec into it fails with a TargetExecError saying so", async () => {
      applyForecastDeployment(NAME);
      const victim = await KubernetesTarget.connect({ client: kube, ref: { kind: "deployment", name: NAME } });
      expect(await victim.lostReason()).toBeNull();
      const running = victim.exec(["sleep", "60"]);
      await kube.core.deleteNamespacedPod({ name: victim.podName, namespace: "default", gracePeriodSeconds: 1 });
      const outcome: ExecResult | Error = await running.then(
        (result) => result,
        (error: unknown) => error as Error,
      );
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(TargetExecError);
      else expect(outcome.exitCode).not.toBe(0);
      expect(await victim.lostReason()).toMatch(new RegExp(`pod default/${victim.podName} (is being deleted|was deleted)`));
      let after: unknown;
      for (let attempt = 0; attempt < 30 && !(after instanceof Error && /was deleted/.test(after.message)); attempt++) {
        after = await victim.exec(["true"]).catch((e: unknown) => e);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(after).toBeInstanceOf(TargetExecError);
      expect((after as Error).message).toMatch(/pod default\/\S+ was deleted during the run/);
    });
  });
});

/** Listens on 7123 only after 2 s, then answers one line. */
const LATE_ECHO = `
import socket, time
time.sleep(2)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 7123)); s.listen(1); s.settimeout(30)
c, _ = s.accept()
data = b""
while not data.endswith(b"\\n"):
    data += c.recv(100)
c.sendall(b"pong " + data)
c.close()
`;
