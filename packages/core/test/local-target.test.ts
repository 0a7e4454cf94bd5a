import { mkdtemp, readFile, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_NOT_FOUND, LocalTarget } from "../src/index.js";

describe("LocalTarget", () => {
  const target = new LocalTarget();

  it("passes argv through untouched (no shell)", async () => {
    const marker = path.join(os.tmpdir(), `memray-pwned-${process.pid}`);
    const tricky = `$(touch ${marker}); echo "quoted" 'single' | cat > /dev/null`;
    const result = await target.exec(["python3", "-c", "import sys, os; print(sys.argv[1]); print(os.environ['X'])", tricky], {
      env: { X: "a;b && $HOME" },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${tricky}\na;b && $HOME\n`);
    await expect(readFile(marker)).rejects.toThrow();
  });

  it("holdStdin: the process's stdin stays open (no end-of-file) while this process lives; without it, stdin reads end-of-file at once", async () => {
    const probe = "import select, sys\nready, _, _ = select.select([sys.stdin], [], [], 1.0)\nprint('eof' if ready and not sys.stdin.read(1) else 'open')";
    expect(target.holdsStdin).toBe(true);
    expect((await target.exec(["python3", "-c", probe], { holdStdin: true })).stdout.trim()).toBe("open");
    expect((await target.exec(["python3", "-c", probe])).stdout.trim()).toBe("eof");
  });

  it("streams output and reports exit codes; a missing program is 127", async () => {
    const chunks: string[] = [];
    const result = await target.exec(["python3", "-c", "import sys; print('out'); sys.stderr.write('err'); sys.exit(7)"], {
      onStdout: (c) => void chunks.push(c),
    });
    expect(result).toMatchObject({ exitCode: 7, stderr: "err" });
    expect(chunks.join("")).toBe("out\n");
    expect((await target.exec(["/nonexistent/python3", "-V"])).exitCode).toBe(COMMAND_NOT_FOUND);
  });

  it("copies directories in and out", async () => {
    const src = await mkdtemp(path.join(os.tmpdir(), "memray-src-"));
    await mkdir(path.join(src, "pkg"));
    await writeFile(path.join(src, "pkg", "a.txt"), "hello");
    const scratch = await target.scratchDir();
    await target.copyIn(path.join(src, "pkg"), scratch);
    expect(await readFile(path.join(scratch, "pkg", "a.txt"), "utf8")).toBe("hello");
    const out = await mkdtemp(path.join(os.tmpdir(), "memray-out-"));
    await target.copyOut(path.join(scratch, "pkg"), out);
    expect(await readFile(path.join(out, "a.txt"), "utf8")).toBe("hello");
  });
});

describe("LocalTarget process handling", () => {
  const target = new LocalTarget();

  it("a background process left behind does not hold the exec open", async () => {
    const started = Date.now();
    const result = await target.exec([
      "python3",
      "-c",
      "import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); print('done')",
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("done\n");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("waits on the consumer's backpressure and keeps every line in order, unbuffered on request", async () => {
    const lines: string[] = [];
    let pending = "";
    const result = await target.exec(["python3", "-c", "import sys\nfor i in range(20000): print(i)"], {
      buffer: false,
      onStdout: async (chunk) => {
        pending += chunk;
        const parts = pending.split("\n");
        pending = parts.pop() ?? "";
        lines.push(...parts);
        await new Promise((resolve) => setImmediate(resolve)); // a slow consumer
      },
    });
    expect(result.stdout).toBe("");
    expect(lines).toHaveLength(20000);
    expect(lines.every((line, i) => line === String(i))).toBe(true);
  });

  it("reports the signal that ended a process", async () => {
    const result = await target.exec(["python3", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]);
    expect(result).toMatchObject({ exitCode: 137, exitSignal: "SIGKILL" });
  });
});
