import { describe, expect, it } from "vitest";
import { parseProfileOptions } from "../src/profile-options.js";
import { parseRecipeVars, translateRecipe } from "../src/recipes.js";
import { offlineTargets as targets, usageMessage as message } from "./helpers/edge.js";

const recipe = (name: string, ...pairs: string[]) => {
  const invocation = translateRecipe(name, parseRecipeVars(pairs));
  if (invocation.kind !== "profile") throw new Error("not a profile recipe");
  return parseProfileOptions(targets, invocation.flags, [], invocation.label);
};

describe("profile options at the edge (flags, recipes)", () => {
  it("flags name the flag, recipes name the seed's -e key, for the same bad value", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "sequence", target: "c", requests: "0" }))).toMatch(
      /--requests expects an integer from 1 .*received "0"/,
    );
    expect(message(() => recipe("debug/memray-sequence", "container_target=c", "request_count=0"))).toMatch(
      /-e request_count expects an integer from 1 .*received "0"/,
    );
    expect(message(() => recipe("debug/memray-sequence", "container_target=c", "delay_seconds=-2"))).toMatch(
      /-e delay_seconds expects a number of seconds >= 0, received "-2"/,
    );
    expect(message(() => recipe("debug/memray-container", "container_target=c", "profile_mode=nope"))).toMatch(
      /-e profile_mode expects one of snapshot, .*received "nope"/,
    );
  });

  it("--name (-e run_name) longer than a run name may be is refused at the edge, saying the limit; the limit itself is accepted", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "script", script: "a.py", name: "n".repeat(201) }))).toMatch(
      /--name is too long: a run name may have at most 200 characters .*received "n{40}…" \(201 characters\)/,
    );
    expect(message(() => recipe("debug/memray-local", "script_path=a.py", `run_name=${"n".repeat(300)}`))).toMatch(
      /-e run_name is too long: a run name may have at most 200/,
    );
    expect(parseProfileOptions(targets, { mode: "script", script: "a.py", name: "n".repeat(200) }).name).toHaveLength(200);
  });

  it("an empty --target is bad input, not the local host", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "snapshot", target: "" }))).toMatch(/--target expects a container name/);
  });

  it("--timeout 0 is refused at the edge with a message", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "script", script: "a.py", timeoutSeconds: "0" }))).toMatch(
      /--timeout expects a number of seconds > 0, received "0"/,
    );
  });

  it("on this host the app must be given; in a container it may still be detected", () => {
    expect(message(() => parseProfileOptions(targets, { mode: "endpoint" }))).toMatch(/--app is required by mode endpoint/);
    expect(parseProfileOptions(targets, { mode: "endpoint", target: "local-forecast-1" }).target).toMatchObject({
      kind: "docker",
      params: { container: "local-forecast-1" },
    });
  });

  it("the seed's recipe form fills the mode from the recipe and takes trace_allocators in Python casing", () => {
    const parsed = recipe(
      "debug/memray-container",
      "container_target=local-forecast-1",
      "profile_mode=script",
      "trace_allocators=False",
      "script_path=test-cases/x.py",
    );
    expect(parsed.options).toMatchObject({ mode: "script", script: "test-cases/x.py", traceAllocators: false });
    expect(parsed.target).toMatchObject({ kind: "docker", params: { container: "local-forecast-1" } });
    expect(message(() => recipe("debug/memray-container", "profile_mode=snapshot"))).toMatch(/needs -e container_target=/);
    expect(message(() => recipe("debug/memray-container", "container_target=c", "nope=1"))).toMatch(/has no -e nope; it takes: .*container_target/);
  });
});
