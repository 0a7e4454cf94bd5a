import { describe, expect, it } from "vitest";
import { PROFILE_FLAGS } from "../src/profile-flags.js";
import { docExamples, EXAMPLE_DOCUMENTS, exampleProject, runExample, typecheckExamples, typescriptBlocks } from "./helpers/doc-examples.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./cli-runner.js";

// The code examples of README.md ("Usage from code") and packages/cli/README.md are marked
// (<!-- example: host|container NAME -->) and run: every one is type-checked against the packages'
// declarations here, the host ones run here, the container ones in the engine suite
// (engine/readme-examples.e2e.test.ts). Needs the packages built (dist/).

const examples = docExamples();
const host = examples.filter((example) => example.kind === "host");

describe("the documentation's code examples", () => {
  it("are found in both documents; every TypeScript block of README's Usage from code and of the cli README is marked", () => {
    for (const source of EXAMPLE_DOCUMENTS) expect(examples.filter((example) => example.source === source).length, source).toBeGreaterThanOrEqual(2);
    expect(host.length).toBeGreaterThanOrEqual(4);
    expect(examples.filter((example) => example.kind === "container").length).toBeGreaterThanOrEqual(2);
    for (const [source, heading] of [
      ["README.md", "## Usage from code"],
      ["packages/cli/README.md", undefined],
    ] as const) {
      const blocks = typescriptBlocks(source, heading);
      expect(blocks.length, source).toBeGreaterThan(0);
      expect(blocks.filter((block) => !block.marked).map((block) => `${source}:${block.line}`)).toEqual([]);
    }
  });

  it("type-check against the packages' declarations (strict)", async () => {
    const project = await exampleProject();
    expect(await typecheckExamples(project, examples)).toEqual([]);
  });

  it.each(host.map((example) => [`${example.source}:${example.line}`, example] as const))("%s runs on this host", async (_where, example) => {
    const project = await exampleProject();
    const run = await runExample(project, example);
    expect(run.exitCode, run.output).toBe(0);
    if (example.expect) expect(run.output).toContain(example.expect);
  });

  it("README's Usage from code names every option profile() takes", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Usage from code"), readme.indexOf("## The instrumented runner"));
    const fields = PROFILE_FLAGS.map((spec) => spec.field).filter((field) => !["json", "quiet", "repeat"].includes(field));
    for (const field of [...fields, "scriptArgs", "cwd", "env", "onProgress", "echo", "signal"]) expect(section, field).toContain(`\`${field}\``);
  });
});
