import { describe, expect, it } from "vitest";
import { chooseServicePort, tcpPorts } from "../src/service/service-port.js";

describe("chooseServicePort", () => {
  it("lets --port win", () => {
    expect(chooseServicePort({ portOverride: 7000, names: ["forecast-1"], portKeys: ["5000/tcp"] })).toEqual({ port: 7000, source: "override" });
  });
  it("uses the forecast and optimization presets by container or service name", () => {
    expect(chooseServicePort({ names: ["stack-forecast-1"], portKeys: [] })).toEqual({ port: 5000, source: "preset" });
    expect(chooseServicePort({ names: ["abc", "Optimization"], portKeys: ["8080/tcp"] })).toEqual({ port: 6000, source: "preset" });
  });
  it("uses the single exposed TCP port", () => {
    expect(chooseServicePort({ names: ["api"], portKeys: ["8080/tcp", "53/udp"] })).toEqual({ port: 8080, source: "exposed" });
  });
  it("falls back to the command's port", () => {
    expect(chooseServicePort({ names: ["api"], portKeys: [], commandPort: 8000 })).toEqual({ port: 8000, source: "command" });
    expect(chooseServicePort({ names: ["api"], portKeys: ["8000/tcp", "9000/tcp"], commandPort: 9000 })).toEqual({ port: 9000, source: "command" });
  });
  it("reports the candidates when nothing decides", () => {
    expect(chooseServicePort({ names: ["api"], portKeys: ["8000/tcp", "9000/tcp"] })).toEqual({ port: null, candidates: [8000, 9000] });
    expect(chooseServicePort({ names: ["api"], portKeys: [] })).toEqual({ port: null, candidates: [] });
  });
  it("tcpPorts dedupes and sorts", () => {
    expect(tcpPorts(["9000/tcp", "5000/tcp", "9000/tcp", "53/udp", "x"])).toEqual([5000, 9000]);
  });
});
