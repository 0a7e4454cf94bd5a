import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cliBin, repoRoot } from "./cli-runner.js";

// The README's usage must be the CLI's: its copy of `memray-cli --help` is the real text, and every
// `npx memray-cli ...` / `npx memray-compare ...` line in it names a command, flags and recipe keys
// that the real help lists. Runs the built CLI (packages/cli/dist).

const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
const compareBin = path.join(repoRoot, "packages/compare/dist/memray-compare.mjs");

async function help(bin: string, args: string[]): Promise<string> {
  const result = await execa(process.execPath, [bin, ...args, "--help"], { env: { NO_COLOR: "1" }, reject: false });
  expect(result.exitCode, `${args.join(" ")} --help: ${result.stderr}`).toBe(0);
  return String(result.stdout);
}

/** Command lines of the README that start with `npx <bin>`, continuation lines joined, comments dropped. */
function commandLines(bin: string): string[] {
  const joined = readme.replace(/\\\n\s*/g, " ");
  return joined
    .split("\n")
    .map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) => line.startsWith(`npx ${bin} `) || line === `npx ${bin}`);
}

/** The long and short flags of a command line (values and quoted arguments skipped). */
function flagsOf(line: string): string[] {
  return line
    .replace(/"[^"]*"|'[^']*'/g, "")
    .split(/\s+/)
    .filter((token) => /^--?[a-zA-Z][\w-]*$/.test(token) && token !== "--")
    .map((token) => token.split("=")[0]!);
}

describe("README usage matches the CLI", () => {
  it("the README's copy of `memray-cli --help` is the real help text", async () => {
    const match = /<!-- memray-cli --help: start -->\n```text\n([\s\S]*?)\n```\n<!-- memray-cli --help: end -->/.exec(readme);
    expect(match, "README.md has the --help block between its markers").not.toBeNull();
    expect(match![1]).toBe((await help(cliBin, [])).trimEnd());
  });

  it("every `npx memray-cli` line uses a real command, its flags and the recipe's -e keys", async () => {
    const lines = commandLines("memray-cli");
    expect(lines.length).toBeGreaterThan(15);
    const helps = new Map<string, string>();
    const helpOf = async (words: string[]) => {
      const key = words.join(" ");
      if (!helps.has(key)) helps.set(key, await help(cliBin, words));
      return helps.get(key)!;
    };
    const runHelp = await helpOf(["run"]);
    for (const line of lines) {
      const words = line.split(/\s+/).slice(2);
      const command = words[0];
      if (!command) continue; // bare `npx memray-cli`
      const top = await helpOf([]);
      expect(top, line).toMatch(new RegExp(`\\n  ${command} `));
      const sub = command === "runs" && ["list", "show", "open"].includes(words[1] ?? "") ? [command, words[1]!] : [command];
      const text = await helpOf(sub);
      for (const flag of flagsOf(line)) {
        if (flag === "-e") continue;
        expect(text, `${line}: ${flag} is not in \`memray-cli ${sub.join(" ")} --help\``).toContain(flag);
      }
      if (command === "run") {
        const recipe = words[1]!;
        const block = runHelp.slice(runHelp.indexOf(`  ${recipe}\n`));
        expect(block, line).not.toBe(runHelp.slice(-1));
        const keys = block.split(/\n {2}debug\//)[0]!;
        for (const [, key] of line.matchAll(/-e (\w+)=/g)) expect(keys, `${line}: -e ${key} is not a key of ${recipe}`).toContain(key);
      }
    }
  });

  it("every `npx memray-compare` line uses memray-compare's own flags", async () => {
    const text = await help(compareBin, []);
    const lines = commandLines("memray-compare");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) for (const flag of flagsOf(line)) expect(text, `${line}: ${flag}`).toContain(flag);
  });
});
