import { describe, expect, it } from "vitest";
import { parseBind, parseServiceCommand } from "../src/service/service-command.js";

const app = (argv: string[], env: Record<string, string> = {}) => parseServiceCommand(argv, env);

describe("parseServiceCommand: waitress-serve", () => {
  it("reads the forecast fixture's command", () => {
    expect(app(["waitress-serve", "--host=0.0.0.0", "--port=5000", "forecast_service.app:app"])).toMatchObject({
      server: "waitress",
      app: "forecast_service.app:app",
      factory: false,
      port: 5000,
      host: "0.0.0.0",
      program: "waitress-serve",
    });
  });
  it("accepts separated option values and flags", () => {
    const parsed = app(["/opt/venv/bin/waitress-serve", "--port", "5001", "--threads", "8", "--expose-tracebacks", "svc.wsgi:application"]);
    expect(parsed).toMatchObject({ app: "svc.wsgi:application", port: 5001, program: "/opt/venv/bin/waitress-serve" });
  });
  it("turns --call into a factory spec", () => {
    expect(app(["waitress-serve", "--call", "--listen=*:8081", "pkg.app:create_app"])).toMatchObject({
      app: "pkg.app:create_app()",
      factory: true,
      port: 8081,
      host: "*",
    });
  });
  it("defaults the attribute to application and the port to 8080", () => {
    expect(app(["waitress-serve", "mymodule"])).toMatchObject({ app: "mymodule:application", attrGuessed: true, port: 8080 });
  });
  it("understands a server script run by its interpreter, as /proc shows a shebang launch", () => {
    expect(app(["/opt/venv/bin/python", "/opt/venv/bin/waitress-serve", "--port=5000", "a.b:app"])).toMatchObject({
      server: "waitress",
      app: "a.b:app",
      interpreter: "/opt/venv/bin/python",
    });
  });
  it("understands python -m waitress and keeps the interpreter", () => {
    expect(app(["/opt/venv/bin/python3", "-u", "-m", "waitress", "--port=9000", "a.b:app"])).toMatchObject({
      server: "waitress",
      app: "a.b:app",
      port: 9000,
      interpreter: "/opt/venv/bin/python3",
    });
  });
});

describe("parseServiceCommand: gunicorn", () => {
  it("reads the optimization fixture's command", () => {
    expect(app(["gunicorn", "--workers", "2", "--bind", "0.0.0.0:6000", "optimization_service.app:app"])).toMatchObject({
      server: "gunicorn",
      app: "optimization_service.app:app",
      port: 6000,
      host: "0.0.0.0",
    });
  });
  it("handles short options, attached values and flags in any order", () => {
    expect(app(["gunicorn", "svc:app", "-b", "0.0.0.0:6000", "-w", "2", "--preload", "-k", "gthread"])).toMatchObject({ app: "svc:app", port: 6000 });
    expect(app(["gunicorn", "-w4", "-b0.0.0.0:7000", "--reload", "svc:app"])).toMatchObject({ app: "svc:app", port: 7000 });
    expect(app(["gunicorn", "--bind=[::]:7100", "--timeout=120", "svc:app"])).toMatchObject({ port: 7100, host: "::" });
  });
  it("reads factory forms and --chdir", () => {
    expect(app(["gunicorn", "--chdir", "/srv/src", "-b", ":6000", "pkg.app:create_app()"])).toMatchObject({
      app: "pkg.app:create_app()",
      factory: true,
      chdir: "/srv/src",
      port: 6000,
    });
  });
  it("skips unix sockets and falls back to PORT or 8000", () => {
    expect(app(["gunicorn", "-b", "unix:/tmp/g.sock", "svc:app"])).toMatchObject({ port: 8000 });
    expect(app(["gunicorn", "svc:app"], { PORT: "6123" })).toMatchObject({ port: 6123 });
  });
  it("reads GUNICORN_CMD_ARGS", () => {
    expect(app(["gunicorn", "svc:app"], { GUNICORN_CMD_ARGS: "--bind=0.0.0.0:6500 --workers=3" })).toMatchObject({ port: 6500 });
  });
  it("unwraps sh -c, exec, env assignments and cd", () => {
    expect(app(["/bin/sh", "-c", "cd /srv/app && exec gunicorn --bind 0.0.0.0:6000 'optimization_service.app:app'"])).toMatchObject({
      app: "optimization_service.app:app",
      chdir: "/srv/app",
      port: 6000,
    });
    expect(app(["sh", "-c", "FOO=1 python -m gunicorn -b :6001 svc:app"])).toMatchObject({ app: "svc:app", port: 6001, interpreter: "python" });
    expect(app(["tini", "--", "gunicorn", "svc:app"])).toMatchObject({ app: "svc:app" });
    expect(app(["/usr/bin/dumb-init", "--", "env", "A=b", "gunicorn", "svc:app"])).toMatchObject({ app: "svc:app" });
  });
});

describe("parseServiceCommand: flask", () => {
  it("reads flask --app mod run", () => {
    expect(app(["flask", "--app", "hello", "run", "--host", "0.0.0.0", "--port", "5005"])).toMatchObject({
      server: "flask",
      app: "hello:app",
      attrGuessed: true,
      port: 5005,
    });
  });
  it("reads python -m flask with factories and -p", () => {
    expect(app(["python3", "-m", "flask", "--app", "pkg.web:create_app()", "--debug", "run", "-p", "5050"])).toMatchObject({
      app: "pkg.web:create_app()",
      factory: true,
      port: 5050,
      interpreter: "python3",
    });
  });
  it("reads FLASK_APP, FLASK_RUN_PORT and file paths", () => {
    expect(app(["flask", "run"], { FLASK_APP: "src/hello.py", FLASK_RUN_PORT: "5100" })).toMatchObject({
      app: "hello:app",
      chdir: "src",
      port: 5100,
    });
    expect(app(["flask", "--app=api:app", "run"])).toMatchObject({ app: "api:app", port: 5000 });
  });
  it("ignores other flask subcommands", () => {
    expect(app(["flask", "--app", "hello", "routes"])).toBeNull();
  });
});

describe("parseServiceCommand: ASGI servers", () => {
  it("reads uvicorn's command (the asgi fixture's), ASGI, its port and host", () => {
    expect(app(["uvicorn", "asgi_service.app:app", "--host", "0.0.0.0", "--port", "7000"])).toMatchObject({
      server: "uvicorn",
      interface: "asgi",
      app: "asgi_service.app:app",
      factory: false,
      port: 7000,
      host: "0.0.0.0",
      program: "uvicorn",
    });
  });
  it("defaults uvicorn's port to 8000 (UVICORN_PORT, UVICORN_HOST when set) and skips its flags", () => {
    expect(app(["/opt/venv/bin/uvicorn", "--reload", "--no-access-log", "--workers", "2", "main:app"])).toMatchObject({ app: "main:app", port: 8000 });
    expect(app(["uvicorn", "main:app"], { UVICORN_PORT: "9100", UVICORN_HOST: "0.0.0.0" })).toMatchObject({ port: 9100, host: "0.0.0.0" });
  });
  it("uvicorn --factory calls the factory; --app-dir is where the app is imported from", () => {
    expect(app(["uvicorn", "--factory", "pkg.web:create_app", "--app-dir", "src", "--port=8001"])).toMatchObject({
      app: "pkg.web:create_app()",
      factory: true,
      chdir: "src",
      port: 8001,
    });
  });
  it("uvicorn --interface wsgi serves a WSGI app", () => {
    expect(app(["uvicorn", "--interface", "wsgi", "legacy:app"])).toMatchObject({ server: "uvicorn", interface: "wsgi", app: "legacy:app" });
  });
  it("python -m uvicorn, and uvicorn through its shebang as /proc shows it, keep the interpreter", () => {
    expect(app(["/opt/venv/bin/python", "-m", "uvicorn", "main:app", "--port", "7000"])).toMatchObject({
      server: "uvicorn",
      interface: "asgi",
      app: "main:app",
      port: 7000,
      interpreter: "/opt/venv/bin/python",
    });
    expect(app(["/opt/venv/bin/python3", "/opt/venv/bin/uvicorn", "main:app"])).toMatchObject({ server: "uvicorn", interpreter: "/opt/venv/bin/python3" });
  });
  it("through sh -c, exec and cd", () => {
    expect(app(["/bin/sh", "-c", "cd /srv/app && exec uvicorn main:app --host 0.0.0.0 --port 7000"])).toMatchObject({
      server: "uvicorn",
      app: "main:app",
      chdir: "/srv/app",
      port: 7000,
    });
  });
  it("gunicorn with a uvicorn worker class is ASGI; without one WSGI", () => {
    expect(app(["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-b", "0.0.0.0:7000", "main:app"])).toMatchObject({
      server: "gunicorn",
      interface: "asgi",
      app: "main:app",
      port: 7000,
    });
    expect(app(["gunicorn", "--worker-class=uvicorn_worker.UvicornWorker", "main:app"])).toMatchObject({ interface: "asgi" });
    expect(app(["gunicorn", "main:app"], { GUNICORN_CMD_ARGS: "-k uvicorn.workers.UvicornH11Worker" })).toMatchObject({ interface: "asgi" });
    expect(app(["gunicorn", "-k", "gthread", "main:app"])).toMatchObject({ interface: "wsgi" });
  });
  it("reads hypercorn's command: its bind, a factory call, python -m hypercorn", () => {
    expect(app(["hypercorn", "--bind", "0.0.0.0:7000", "--workers", "2", "main:app"])).toMatchObject({
      server: "hypercorn",
      interface: "asgi",
      app: "main:app",
      port: 7000,
      host: "0.0.0.0",
    });
    expect(app(["hypercorn", "-b0.0.0.0:7100", "--debug", "pkg:create_app()"])).toMatchObject({ app: "pkg:create_app()", factory: true, port: 7100 });
    expect(app(["python3", "-m", "hypercorn", "main:app"])).toMatchObject({ server: "hypercorn", port: 8000, interpreter: "python3" });
  });
  it("the WSGI servers say so", () => {
    expect(app(["waitress-serve", "a:app"])?.interface).toBe("wsgi");
    expect(app(["flask", "--app", "a", "run"])?.interface).toBe("wsgi");
  });
});

describe("parseServiceCommand: not a server", () => {
  it.each([
    [[]],
    [["/bin/bash"]],
    [["sleep", "infinity"]],
    [["python3", "app.py"]],
    [["python", "-c", "import app"]],
    [["uvicorn", "--port", "8000"]],
    [["hypercorn", "-b", "0.0.0.0:7000"]],
    [["gunicorn", "--workers", "2"]],
    [["waitress-serve", "--port=5000", "not a module"]],
    [["gunicorn", "9svc:app"]],
    [["gunicorn", "svc:create_app('prod')"]],
  ])("%j → null", (argv) => {
    expect(app(argv as string[])).toBeNull();
  });
});

describe("parseBind", () => {
  it.each([
    ["0.0.0.0:6000", { host: "0.0.0.0", port: 6000 }],
    [":6000", { host: null, port: 6000 }],
    ["[::]:6000", { host: "::", port: 6000 }],
    ["*:5000", { host: "*", port: 5000 }],
    ["localhost", { host: "localhost", port: 8000 }],
    ["tcp://127.0.0.1:1234", { host: "127.0.0.1", port: 1234 }],
  ])("%s", (value, expected) => {
    expect(parseBind(value, 8000)).toEqual(expected);
  });
});
