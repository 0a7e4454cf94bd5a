import { describe, expect, it } from "vitest";
import { findWireMock, logFileName, logFileNames, type StackContainer } from "../src/stack-discovery.js";

const container = (overrides: Partial<StackContainer>): StackContainer => ({
  id: "0123456789abcdef0123",
  name: "c",
  image: "img",
  project: null,
  service: null,
  number: null,
  oneoff: false,
  ports: [],
  ...overrides,
});

describe("log file names", () => {
  it("the seed's logs-<project>-<service>.txt in Compose, logs-<container>.txt outside", () => {
    expect(logFileName(container({ name: "local-forecast-1", project: "local", service: "forecast", number: 1 }))).toBe("logs-local-forecast.txt");
    expect(logFileName(container({ name: "local-forecast-2", project: "local", service: "forecast", number: 2 }))).toBe("logs-local-forecast-2.txt");
    expect(logFileName(container({ name: "local-forecast-run-1a2b", project: "local", service: "forecast", oneoff: true }))).toBe(
      "logs-local-forecast-run-1a2b.txt",
    );
    expect(logFileName(container({ name: "my db/../x" }))).toBe("logs-my_db_.._x.txt");
  });

  it("two containers never share a file", () => {
    const a = container({ id: "aaaaaaaaaaaaaaaa", name: "p-s-1", project: "p", service: "s", number: 1 });
    const b = container({ id: "bbbbbbbbbbbbbbbb", name: "p-s-1b", project: "p", service: "s", number: 1 });
    const names = logFileNames([a, b]);
    expect(names.get(a.id)).toBe("logs-p-s.txt");
    expect(names.get(b.id)).toBe("logs-p-s-bbbbbbbbbbbb.txt");
  });
});

describe("findWireMock", () => {
  it("a service or image named wiremock, reached on its port published on loopback", () => {
    const wm = container({ name: "local-wiremock-1", service: "wiremock", ports: [{ ip: "127.0.0.1", privatePort: 8080, publicPort: 8089, type: "tcp" }] });
    expect(findWireMock([container({ name: "x" }), wm])).toEqual({ container: wm, url: "http://127.0.0.1:8089", containerPort: 8080 });
    const byImage = container({
      name: "mocks",
      image: "wiremock/wiremock:3.13.2",
      ports: [{ ip: "0.0.0.0", privatePort: 8080, publicPort: 18080, type: "tcp" }],
    });
    expect(findWireMock([byImage])?.url).toBe("http://127.0.0.1:18080");
  });

  it("published nowhere the host may use (or not at all): the container port, for a port forward", () => {
    const lan = container({ service: "wiremock", ports: [{ ip: "192.168.1.20", privatePort: 8080, publicPort: 8089, type: "tcp" }] });
    expect(findWireMock([lan])).toMatchObject({ url: null, containerPort: 8080 });
    const exposedOnly = container({ service: "wiremock", ports: [{ ip: null, privatePort: 9999, publicPort: null, type: "tcp" }] });
    expect(findWireMock([exposedOnly])).toMatchObject({ url: null, containerPort: 9999 });
    expect(findWireMock([container({ service: "wiremock" })])).toMatchObject({ url: null, containerPort: 8080 });
  });

  it("none in the project", () => {
    expect(findWireMock([container({ service: "forecast", image: "memray-cli/forecast:bookworm" })])).toBeNull();
  });
});
