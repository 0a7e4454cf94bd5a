import { describe, expect, it } from "vitest";
import { matchContainer, type ContainerRef } from "../src/resolve-container.js";

const ref = (name: string, id: string, extra: Partial<ContainerRef> = {}): ContainerRef => ({
  name,
  id,
  image: "img",
  state: "running",
  labels: {},
  ...extra,
});
const compose = (name: string, id: string, project: string, service: string, number: number, state = "running") =>
  ref(name, id, {
    state,
    service,
    project,
    labels: { "com.docker.compose.service": service, "com.docker.compose.project": project, "com.docker.compose.container-number": String(number) },
  });

const list = [
  ref("forecast", "aaaa1111"),
  ref("abcd", "bbbb2222"),
  compose("stack-forecast-1", "cccc3333", "stack", "forecast", 1),
  compose("stack-opt-2", "dddd4444", "stack", "optimization", 2),
  compose("stack-opt-1", "dddd5555", "stack", "optimization", 1, "exited"),
  compose("other-opt-1", "eeee6666", "other", "optimization", 1),
];

describe("matchContainer", () => {
  it("prefers an exact name over a Compose service of the same name", () => {
    expect(matchContainer(list, "forecast")).toMatchObject({ container: { id: "aaaa1111" }, by: "name" });
  });
  it("matches id prefixes, and a name that looks like hex is a name first", () => {
    expect(matchContainer(list, "bbbb")).toMatchObject({ container: { name: "abcd" }, by: "id-prefix" });
    expect(matchContainer(list, "abcd")).toMatchObject({ container: { id: "bbbb2222" }, by: "name" });
    expect(matchContainer(list, "dddd")).toMatchObject({ ambiguous: [{ id: "dddd4444" }, { id: "dddd5555" }] });
  });
  it("matches Compose services, choosing the running replica", () => {
    expect(matchContainer(list, "stack/optimization")).toMatchObject({ container: { name: "stack-opt-2" }, by: "compose-service" });
    expect(matchContainer(list, "optimization", "stack")).toMatchObject({ container: { name: "stack-opt-2" } });
    expect(matchContainer(list, "optimization")).toHaveProperty("ambiguous");
  });
  it("returns null for unknown containers", () => {
    expect(matchContainer(list, "nope")).toBeNull();
  });
});
