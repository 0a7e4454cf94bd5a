import {
  AppNotFoundError,
  detectServiceApp,
  detectServicePort as detectPort,
  findServicePython,
  PortNotDetectableError,
  requireServicePort as requirePort,
} from "@alpiq/memray-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDockerClient } from "../../src/docker-client.js";
import { DockerTarget } from "../../src/docker-target.js";
import { listContainerRefs } from "../../src/resolve-container.js";
import { TestContainers } from "./fixture.js";

const image = inject("fixtureImage");
// A container's service as DockerTarget.service() reads it, through core's runtime-neutral detection.
const findPython = async (t: DockerTarget) => findServicePython(t.service());
const detectApp = async (t: DockerTarget) => detectServiceApp(t.service());
const detectServicePort = async (t: DockerTarget, options = {}) => detectPort(t.service(), options);
const requireServicePort = async (t: DockerTarget) => requirePort(t.service());

describe.skipIf(!image)("container inspection on a real engine", () => {
  const docker = createDockerClient();
  const containers = new TestContainers(docker, "inspect");
  let plain: DockerTarget;
  let waitress: DockerTarget;
  let gunicorn: DockerTarget;

  beforeAll(async () => {
    const venvPath = { Env: ["PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] };
    const [a, b, c] = await Promise.all([
      containers.run("main", image!),
      containers.run("forecast", image!, {
        ...venvPath,
        Cmd: ["waitress-serve", "--host=0.0.0.0", "--port=5000", "forecast_service.app:app"],
        WorkingDir: "/srv/app",
        ExposedPorts: { "5000/tcp": {} },
      }),
      containers.run("api", image!, {
        ...venvPath,
        Entrypoint: ["/opt/venv/bin/gunicorn"],
        Cmd: ["--workers", "2", "-b", "0.0.0.0:6000", "--chdir", "src", "svc.wsgi:create_app()"],
        WorkingDir: "/srv/app",
        ExposedPorts: { "6000/tcp": {} },
      }),
    ]);
    const connect = (container: string) => DockerTarget.connect({ docker, container });
    [plain, waitress, gunicorn] = await Promise.all([connect(a.name), connect(b.name), connect(c.name)]);
  });

  afterAll(async () => {
    await containers.removeAll();
  });

  it("finds the interpreter the service's command runs under", async () => {
    expect(await findPython(waitress)).toBe("/opt/venv/bin/python");
    expect(await findPython(plain)).toBe("/opt/venv/bin/python");
  });

  it("detects app and port of a waitress-serve container", async () => {
    expect(await detectApp(waitress)).toMatchObject({ app: "forecast_service.app:app", appDir: "/srv/app", server: "waitress", port: 5000, source: "config" });
    expect(await detectServicePort(waitress)).toEqual({ port: 5000, source: "preset" });
    expect(await detectServicePort(waitress, { portOverride: 5999 })).toEqual({ port: 5999, source: "override" });
  });

  it("detects app and port of a gunicorn container", async () => {
    expect(await detectApp(gunicorn)).toMatchObject({ app: "svc.wsgi:create_app()", appDir: "/srv/app/src", server: "gunicorn", port: 6000 });
    expect(await requireServicePort(gunicorn)).toEqual({ port: 6000, source: "exposed" });
  });

  it("says null, or throws usage errors on request, when nothing is recognisable", async () => {
    await expect(detectApp(plain)).rejects.toBeInstanceOf(AppNotFoundError);
    expect(await detectServicePort(plain)).toBeNull();
    const error = await requireServicePort(plain).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortNotDetectableError);
    expect((error as PortNotDetectableError).exitCode).toBe(2);
  });

  // The Compose fixture stack (tools/), when it is up: read-only checks on the real services.
  it("reads the fixture stack's forecast and optimization services", async (ctx) => {
    const running = (await listContainerRefs(docker)).filter((c) => c.state === "running");
    const forecast = running.find((c) => c.service === "forecast");
    const optimization = running.find((c) => c.service === "optimization");
    if (!forecast || !optimization) ctx.skip();
    const f = await DockerTarget.connect({ docker, container: forecast!.name });
    expect(await detectApp(f)).toMatchObject({ app: "forecast_service.app:app", server: "waitress", appDir: "/srv/app" });
    expect(await detectServicePort(f)).toEqual({ port: 5000, source: "preset" });
    expect(await findPython(f)).toMatch(/^\/.*python/);
    const o = await DockerTarget.connect({ docker, container: optimization!.name });
    expect(await detectApp(o)).toMatchObject({ app: "optimization_service.app:app", server: "gunicorn" });
    expect(await detectServicePort(o)).toEqual({ port: 6000, source: "preset" });
  });
});
