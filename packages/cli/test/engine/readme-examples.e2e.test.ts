import { beforeAll, describe, expect, it } from "vitest";
import { workspaceWithTestCases } from "../cli-runner.js";
import { docExamples, exampleProject, runExample } from "../helpers/doc-examples.js";
import { engineReady, installMemray } from "./engine-env.js";

// The documentation's container examples (<!-- example: container NAME -->), run against the fixture
// stack; the host ones and the type-check: ../readme-examples.test.ts.

const examples = docExamples().filter((example) => example.kind === "container");
const containers = [...new Set(examples.map((example) => example.container!))];
const ready = await engineReady(containers);

describe.runIf(ready)("the documentation's container examples", () => {
  beforeAll(async () => {
    const cwd = await workspaceWithTestCases();
    for (const container of containers) await installMemray(container, cwd);
  });

  it("there are some", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples.map((example) => [`${example.source}:${example.line}`, example] as const))("%s runs against its container", async (_where, example) => {
    const project = await exampleProject();
    const run = await runExample(project, example);
    expect(run.exitCode, run.output).toBe(0);
    if (example.expect) expect(run.output).toContain(example.expect);
  });
});
