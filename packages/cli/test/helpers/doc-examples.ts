import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import ts from "typescript";
import { repoRoot } from "../cli-runner.js";

/**
 * The code examples of the documentation: a ```ts block right after a marker comment
 *
 *   <!-- example: host -->                             runs on this host, in every test run
 *   <!-- example: container local-forecast-1 -->       runs in the engine suite, with that container up
 *   <!-- example: host expect="INVALID_OPTION" -->     and what it prints must contain this text
 *
 * Each runs as its own ESM script (TypeScript transpiled) in a scratch project whose
 * node_modules/@alpiq/* are the workspace's packages, with a copy of test-cases/ in its directory.
 */
export interface DocExample {
  /** The document, relative to the repository root, and the line of the marker. */
  source: string;
  line: number;
  kind: "host" | "container";
  /** kind container: the container it profiles. */
  container: string | undefined;
  /** Text its output (stdout and stderr) must contain. */
  expect: string | undefined;
  code: string;
}

/** The documents whose examples must run. */
export const EXAMPLE_DOCUMENTS = ["README.md", "packages/cli/README.md"];

const MARKER = /^<!-- example: (\S+)(?: (?!expect=)(\S+))?(?: expect="([^"]*)")? -->$/;

/** Every marked example of EXAMPLE_DOCUMENTS; a marker not followed by a ```ts block, or of an unknown kind, throws. */
export function docExamples(): DocExample[] {
  const examples: DocExample[] = [];
  for (const source of EXAMPLE_DOCUMENTS) {
    const lines = readFileSync(path.join(repoRoot, source), "utf8").split("\n");
    lines.forEach((line, index) => {
      if (!line.startsWith("<!-- example:")) return;
      const where = `${source}:${index + 1}`;
      const marker = MARKER.exec(line);
      if (!marker) throw new Error(`${where}: a malformed example marker: ${line}`);
      const [, kind, container, expected] = marker;
      if (kind !== "host" && kind !== "container") throw new Error(`${where}: example kind ${kind} is neither host nor container`);
      if ((kind === "container") !== Boolean(container)) throw new Error(`${where}: a container example names its container, a host one none`);
      if (lines[index + 1] !== "```ts") throw new Error(`${where}: the marker must be followed by a \`\`\`ts block`);
      const end = lines.indexOf("```", index + 2);
      if (end < 0) throw new Error(`${where}: the example's block is not closed`);
      examples.push({ source, line: index + 1, kind, container, expect: expected, code: lines.slice(index + 2, end).join("\n") });
    });
  }
  return examples;
}

/** The ```ts blocks of a document's section (from its `## heading` to the next), with the line of each fence. */
export function typescriptBlocks(source: string, heading?: string): { line: number; marked: boolean }[] {
  const lines = readFileSync(path.join(repoRoot, source), "utf8").split("\n");
  const start = heading ? lines.indexOf(heading) : 0;
  if (start < 0) throw new Error(`${source} has no ${heading}`);
  const next = heading ? lines.findIndex((line, index) => index > start && line.startsWith("## ")) : -1;
  const blocks: { line: number; marked: boolean }[] = [];
  for (let index = start; index < (next < 0 ? lines.length : next); index++) {
    if (lines[index] === "```ts") blocks.push({ line: index + 1, marked: lines[index - 1]?.startsWith("<!-- example:") ?? false });
  }
  return blocks;
}

/** A scratch project where `@alpiq/memray-*` resolve to the workspace's built packages. */
export async function exampleProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "memray-doc-examples-"));
  await mkdir(path.join(dir, "node_modules", "@alpiq"), { recursive: true });
  for (const name of ["cli", "core", "compare", "docker", "kubernetes", "reports", "signals", "debug-build"]) {
    await symlink(path.join(repoRoot, "packages", name), path.join(dir, "node_modules", "@alpiq", `memray-${name}`));
  }
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "doc-examples", private: true, type: "module" }));
  await cp(path.join(repoRoot, "test-cases"), path.join(dir, "test-cases"), { recursive: true });
  return dir;
}

const fileOf = (example: DocExample) => `${example.source.replace(/[^\w]+/g, "-")}-${example.line}`;

/**
 * Type-check the examples as TypeScript (strict) against the packages' declarations; returns the
 * diagnostics, each naming the document and line of its example.
 */
export async function typecheckExamples(project: string, examples: readonly DocExample[]): Promise<string[]> {
  const files = await Promise.all(
    examples.map(async (example) => {
      const file = path.join(project, `${fileOf(example)}.ts`);
      await writeFile(file, `${example.code}\n`);
      return file;
    }),
  );
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ["node"],
    typeRoots: [path.join(repoRoot, "node_modules", "@types")],
  });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const file = diagnostic.file?.fileName ?? "";
    const example = examples.find((candidate) => file.endsWith(`${fileOf(candidate)}.ts`));
    const line = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1 : 0;
    return example ? `${example.source}:${example.line + 1 + line}: ${text}` : `${file}: ${text}`;
  });
}

export interface ExampleRun {
  exitCode: number | undefined;
  output: string;
}

/** Run one example (transpiled to JavaScript) with node in `project`. */
export async function runExample(project: string, example: DocExample): Promise<ExampleRun> {
  const file = path.join(project, `${fileOf(example)}.mjs`);
  const js = ts.transpileModule(example.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  await writeFile(file, js);
  const result = await execa(process.execPath, [file], { cwd: project, reject: false, all: true, env: { NO_COLOR: "1" } });
  return { exitCode: result.exitCode, output: String(result.all) };
}
