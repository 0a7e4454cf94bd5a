import type { TestProject } from "vitest/node";
import { createDockerClient } from "../../src/docker-client.js";
import { ensureFixtureImage, probeEngine } from "./fixture.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Image the engine tests run containers from, or null when they are skipped. */
    fixtureImage: string | null;
    /** Why engine tests are skipped. */
    engineSkipReason: string | null;
  }
}

export default async function setup(project: TestProject) {
  const docker = createDockerClient();
  const engine = await probeEngine(docker);
  if (!engine.ok) {
    project.provide("fixtureImage", null);
    project.provide("engineSkipReason", engine.reason);
    return;
  }
  try {
    project.provide("fixtureImage", await ensureFixtureImage(docker));
    project.provide("engineSkipReason", null);
  } catch (error) {
    project.provide("fixtureImage", null);
    project.provide("engineSkipReason", `could not prepare the fixture image: ${(error as Error).message}`);
  }
}
