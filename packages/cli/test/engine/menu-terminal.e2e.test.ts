import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import { cliBin, repoRoot, runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray } from "./engine-env.js";

// The menu driven end to end in a real pseudo-terminal (tmux): Container profiling → a service of the
// fixture stack → Escape (back to the services) → the service again → snapshot → its question → a run
// directory appears. Keys go in with `tmux send-keys`; the screen is read with `capture-pane`.

const CONTAINER = "local-forecast-1";
const ready = (await execa("tmux", ["-V"], { reject: false })).exitCode === 0 && (await engineReady([CONTAINER]));
const SOCKET = `memray-menu-test-${process.pid}`;
const SESSION = "menu";

const tmux = (...args: string[]) => execa("tmux", ["-L", SOCKET, ...args], { reject: false });
const screen = async () => String((await tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", SESSION)).stdout);

async function waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await screen();
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the terminal never showed ${pattern}; it shows:\n${text}`);
}

/** In the active select prompt (the last one on screen), move the pointer to the line matching `choice`, then Enter. */
async function choose(choice: RegExp): Promise<void> {
  for (let moves = 0; moves < 40; moves++) {
    const lines = (await screen()).split("\n");
    const prompt = lines
      .map((line, index) => ({ line, index }))
      .filter(({ line }) => /^\? /.test(line))
      .at(-1);
    const pointed = lines.slice((prompt?.index ?? 0) + 1).find((line) => /^[❯>]\s/.test(line));
    if (pointed && choice.test(pointed)) {
      await tmux("send-keys", "-t", SESSION, "Enter");
      return;
    }
    await tmux("send-keys", "-t", SESSION, "Down");
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`no choice ${choice} in the menu:\n${await screen()}`);
}

describe.runIf(ready)("memray-cli menu in a real terminal, against the fixture stack", () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    await installMemray(CONTAINER, cwd);
    const started = await tmux(
      "new-session",
      "-d",
      "-s",
      SESSION,
      "-x",
      "150",
      "-y",
      "50",
      "-c",
      cwd,
      `${process.execPath} ${cliBin} menu; echo "MENU-EXIT-$?"; sleep 600`,
    );
    expect(started.exitCode, String(started.stderr)).toBe(0);
  });

  afterAll(async () => {
    await tmux("kill-server");
  });

  it("container → service → Escape → service → snapshot → a run directory appears", async () => {
    const top = await waitFor(/Memory debugging \(memray\)/);
    for (const entry of ["Container profiling", "Local profiling", "Install memray \\+ debug build", "View profiles"]) expect(top).toMatch(new RegExp(entry));
    await choose(/Container profiling/);

    await waitFor(/\? Service container/);
    await choose(new RegExp(`\\s${CONTAINER}\\s*$`));
    const modes = await waitFor(/\? Profile mode \(local-forecast-1\)/);
    expect(modes).toMatch(/snapshot/);

    // Escape goes back one level: the service list again.
    await tmux("send-keys", "-t", SESSION, "Escape");
    await waitFor(/\? Service container(?![\s\S]*\? Profile mode)/, 10_000);
    await choose(new RegExp(`\\s${CONTAINER}\\s*$`));
    await waitFor(/\? Profile mode \(local-forecast-1\)(?![\s\S]*\? Service container)/);
    await choose(/snapshot/);

    await waitFor(/\? Trace Python allocators/);
    await choose(/True/);
    const done = await waitFor(/MENU-EXIT-\d+/, 240_000);
    expect(done).toMatch(/equivalent: memray-cli profile --mode snapshot --target local-forecast-1/);
    expect(done, done).toMatch(/MENU-EXIT-0/);
    const runs = await readdir(path.join(cwd, "runs"));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^snapshot-\d{8}-\d{6}$/);
    expect(done).toContain(`runs/${runs[0]}`);
    expect(await readdir(path.join(cwd, "runs", runs[0]!))).toEqual(expect.arrayContaining(["summary.json", "flamegraph.html", "index.html"]));
  });
});

describe.runIf(ready)("install --json and the install recipe's common flags, against the fixture stack", () => {
  it("prints {container, python, version, ...} valid against cli-install.schema.json; --quiet leaves only it", async () => {
    const cwd = await workspaceWithTestCases();
    const schema = JSON.parse(readFileSync(path.join(repoRoot, "packages/core/schema/cli-install.schema.json"), "utf8"));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const run = await runCli(["run", "debug/memray-install", "-e", `container_target=${CONTAINER}`, "--json", "--quiet", "--out", "o", "--name", "n"], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const output = JSON.parse(run.stdout);
    expect(validate(output), JSON.stringify(validate.errors)).toBe(true);
    expect(output).toMatchObject({ container: CONTAINER, alreadyInstalled: true });
    const plain = await runCli(["install", "--target", CONTAINER, "--quiet"], cwd);
    expect(plain.stdout).toBe(output.version);
  });
});
