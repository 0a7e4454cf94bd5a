import { execFileSync } from "node:child_process";

/** `git init` with an identity, so tests can commit. */
export function gitInit(dir: string): void {
  const run = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  run("init", "-q");
  run("config", "user.email", "test@example.com");
  run("config", "user.name", "test");
  run("config", "commit.gpgsign", "false");
}

export function commitAll(dir: string, message: string): void {
  execFileSync("git", ["add", "-A"], { cwd: dir, stdio: "pipe" });
  execFileSync("git", ["commit", "-qm", message], { cwd: dir, stdio: "pipe" });
}
