import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  AppNotFoundError,
  detectServiceApp,
  detectServicePort,
  findServicePython,
  PortNotDetectableError,
  requireServicePort,
  type ExecResult,
} from "@alpiq/memray-core";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { DockerTarget } from "../src/docker-target.js";

// The container's service as detection reads it (DockerTarget.service(): Entrypoint + Cmd, Env,
// WorkingDir, names, ports), through core's runtime-neutral detection.
const findPython = (c: DockerTarget) => findServicePython(c.service());
const detectApp = (c: DockerTarget) => detectServiceApp(c.service());
const detectPort = (c: DockerTarget, options = {}) => detectServicePort(c.service(), options);

/** A container seen through `docker inspect`, its exec answering from a table (argv joined by spaces). */
function fakeContainer(
  config: Partial<Docker.ContainerInspectInfo["Config"]>,
  answers: Record<string, Partial<ExecResult>> = {},
  name = "api",
): DockerTarget & { calls: string[] } {
  const info = {
    Name: `/${name}`,
    Id: "f".repeat(64),
    Config: { Env: [], Labels: {}, ...config },
    NetworkSettings: {},
    HostConfig: {},
  } as unknown as Docker.ContainerInspectInfo;
  const container = Object.assign(new DockerTarget({ getContainer: () => ({}) } as unknown as Docker, info), { calls: [] as string[] });
  container.exec = async (argv) => {
    const key = argv.join(" ");
    container.calls.push(key);
    const answer = answers[key];
    return answer ? { exitCode: 0, stdout: "", stderr: "", ...answer } : { exitCode: 127, stdout: "", stderr: "not found" };
  };
  return container;
}

/** The fake, with `sh -c ...` run by this host's sh (the given PATH) instead of answered from its table. */
function withHostShell<C extends DockerTarget & { calls: string[] }>(container: C, PATH: string): C {
  const table = container.exec.bind(container);
  container.exec = async (argv) => {
    if (argv[0] !== "sh") return table(argv);
    container.calls.push(argv.join(" "));
    const run = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { PATH } });
    return { exitCode: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
  };
  return container;
}

const PROBE = "-c import sys; print(sys.executable or ''); print(sys.version_info[0])";

describe("the interpreter of a container's service", () => {
  it("follows the shebang of the server the command runs (found on PATH, or named by its path)", async () => {
    // The shell steps run for real, in this host's sh, with a PATH holding the server's script.
    const bin = mkdtempSync(path.join(tmpdir(), "memray-inspect-"));
    writeFileSync(path.join(bin, "gunicorn"), "#!/srv/venv/bin/python3.11\nimport gunicorn\n");
    chmodSync(path.join(bin, "gunicorn"), 0o755);
    const probe = { [`/srv/venv/bin/python3.11 ${PROBE}`]: { stdout: "/srv/venv/bin/python3.11\n3\n" } };
    for (const program of ["gunicorn", path.join(bin, "gunicorn")]) {
      const c = withHostShell(fakeContainer({ Cmd: [program, "app:app"] }, probe), `${bin}:/usr/bin:/bin`);
      expect(await findPython(c)).toBe("/srv/venv/bin/python3.11");
      expect(c.calls.filter((call) => call.startsWith("sh "))).toHaveLength(1); // one exec locates and reads it
    }
    // Not on PATH: the usual candidates, without a shebang to follow.
    const missing = withHostShell(
      fakeContainer({ Cmd: ["nowhere-server", "app:app"] }, { [`python3 ${PROBE}`]: { stdout: "/usr/bin/python3\n3\n" } }),
      "/usr/bin:/bin",
    );
    expect(await findPython(missing)).toBe("/usr/bin/python3");
  });

  it("falls back to the usual candidates and names them when none runs", async () => {
    const ok = fakeContainer({ Cmd: ["sleep", "infinity"] }, { [`python3 ${PROBE}`]: { stdout: "/usr/bin/python3\n3\n" } });
    expect(await findPython(ok)).toBe("/usr/bin/python3");
    const none = fakeContainer({ Cmd: ["sleep", "infinity"] });
    await expect(findPython(none)).rejects.toMatchObject({
      code: "PYTHON_NOT_FOUND",
      message: expect.stringContaining("/opt/venv/bin/python, python3, python"),
    });
  });
});

describe("the app of a container's service", () => {
  it("reads the container's command and resolves the app directory", async () => {
    const c = fakeContainer({ Cmd: ["flask", "--app", "src/hello.py", "run", "-p", "5050"], WorkingDir: "/srv" });
    expect(await detectApp(c)).toMatchObject({ app: "hello:app", appDir: "/srv/src", server: "flask", port: 5050, source: "config" });
  });

  it("reads running processes when the command is an entrypoint script", async () => {
    const c = fakeContainer(
      { Entrypoint: ["/entrypoint.sh"], Cmd: [] },
      {
        "ls /proc": { stdout: "1\n7\nself\n" },
        "cat /proc/1/cmdline": { stdout: "/bin/sh\0/entrypoint.sh\0" },
        "cat /proc/7/cmdline": { stdout: "/opt/venv/bin/python\0/opt/venv/bin/gunicorn\0-b\0:6000\0svc.web:app\0" },
      },
    );
    expect(await detectApp(c)).toMatchObject({ app: "svc.web:app", server: "gunicorn", port: 6000, source: "process", appDir: "/" });
  });

  it("throws AppNotFoundError naming the command", async () => {
    const error = await detectApp(fakeContainer({ Cmd: ["sleep", "infinity"] })).catch((e) => e);
    expect(error).toBeInstanceOf(AppNotFoundError);
    expect(error).toMatchObject({ exitCode: 2, command: ["sleep", "infinity"] });
  });
});

describe("the port of a container's service", () => {
  it("returns the port and where it came from, or null", async () => {
    expect(await detectPort(fakeContainer({ Labels: { "com.docker.compose.service": "forecast" } }, {}, "stack-x-1"))).toEqual({
      port: 5000,
      source: "preset",
    });
    expect(await detectPort(fakeContainer({ ExposedPorts: { "8080/tcp": {} } }))).toEqual({ port: 8080, source: "exposed" });
    expect(await detectPort(fakeContainer({ Cmd: ["waitress-serve", "--port=7000", "m:app"] }))).toEqual({ port: 7000, source: "command" });
    expect(await detectPort(fakeContainer({}), { portOverride: 9 })).toEqual({ port: 9, source: "override" });
    expect(await detectPort(fakeContainer({ ExposedPorts: { "1/tcp": {}, "2/tcp": {} } }))).toBeNull();
  });

  it("requireServicePort throws PortNotDetectableError with the candidates", async () => {
    const error = await Promise.resolve()
      .then(() => requireServicePort(fakeContainer({ ExposedPorts: { "1/tcp": {}, "2/tcp": {} } }).service()))
      .catch((e) => e);
    expect(error).toBeInstanceOf(PortNotDetectableError);
    expect(error).toMatchObject({ exitCode: 2, candidates: [1, 2] });
  });
});
