import type Docker from "dockerode";
import { execa } from "execa";

/** Bump when the fixture recipe below changes. */
const FIXTURE_VERSION = "4";
export const FIXTURE_IMAGE = `memray-test/fixture:v${FIXTURE_VERSION}`;
/** Local images with Python 3, most wanted first (built by tools/images/build.sh). */
const BASE_IMAGES = ["memray-cli/base:bookworm", "memray-cli/base:trixie"];

export async function probeEngine(docker: Docker): Promise<{ ok: true } | { ok: false; reason: string }> {
  const info = await execa("docker", ["info"], { reject: false, timeout: 20_000 });
  if (info.exitCode !== 0) {
    return {
      ok: false,
      reason: `\`docker info\` failed (${String(info.stderr || info.message).split("\n")[0]}); start an engine with bash tools/docker-engine.sh`,
    };
  }
  try {
    await docker.ping();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `the Docker API does not answer: ${(error as Error).message}` };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A local base image with python3: waits (bounded) for tools/images/build.sh to import one. */
async function findBaseImage(docker: Docker): Promise<string> {
  const deadline = Date.now() + Number(process.env.MEMRAY_TEST_IMAGE_WAIT_SECONDS ?? 300) * 1000;
  for (;;) {
    const images = await docker.listImages();
    const tags = new Set(images.flatMap((i) => i.RepoTags ?? []));
    const wanted = process.env.MEMRAY_TEST_BASE_IMAGE ? [process.env.MEMRAY_TEST_BASE_IMAGE] : BASE_IMAGES;
    const found = wanted.find((t) => tags.has(t));
    if (found) return found;
    // Any local image whose python3 runs will do.
    for (const tag of [...tags].filter((t) => !t.startsWith("memray-test/")).slice(0, 10)) {
      const probe = await execa("docker", ["run", "--rm", "--network", "none", "--entrypoint", "python3", tag, "-V"], { reject: false, timeout: 60_000 });
      if (probe.exitCode === 0) return tag;
    }
    if (Date.now() > deadline) throw new Error(`no local image with python3 (wanted ${wanted.join(" or ")}); run tools/images/build.sh base`);
    await sleep(10_000);
  }
}

/**
 * memray-test/fixture: a base image plus a venv at /opt/venv and stand-ins for waitress-serve and
 * gunicorn (Python scripts that only sleep, so a container's Cmd can name them). Built once by commit.
 */
export async function ensureFixtureImage(docker: Docker): Promise<string> {
  try {
    await docker.getImage(FIXTURE_IMAGE).inspect();
    return FIXTURE_IMAGE;
  } catch {
    // build below
  }
  const base = await findBaseImage(docker);
  const name = `memray-test-build-${process.pid}`;
  const container = await docker.createContainer({
    name,
    Image: base,
    Cmd: ["sleep", "infinity"],
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const run = async (cmd: string[]) => {
      const result = await execa("docker", ["exec", name, ...cmd], { reject: false });
      if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${result.stderr}`);
    };
    await run(["python3", "-m", "venv", "/opt/venv"]);
    const stub = "#!/opt/venv/bin/python\nimport time\nwhile True:\n    time.sleep(3600)\n";
    for (const tool of ["waitress-serve", "gunicorn"]) {
      await run([
        "/opt/venv/bin/python",
        "-c",
        `import os,sys; open(sys.argv[1], "w").write(sys.argv[2]); os.chmod(sys.argv[1], 0o755)`,
        `/opt/venv/bin/${tool}`,
        stub,
      ]);
    }
    await run(["mkdir", "-p", "/srv/app", "/srv/www"]);
    await execa("docker", ["commit", "--change", 'CMD ["sleep", "infinity"]', "--change", "LABEL org.memray-cli.test-fixture=1", name, FIXTURE_IMAGE]);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
  return FIXTURE_IMAGE;
}

/** Containers made by a test file, removed in afterAll. */
export class TestContainers {
  readonly prefix: string;
  private readonly made: Docker.Container[] = [];

  constructor(
    private readonly docker: Docker,
    label: string,
  ) {
    this.prefix = `memray-test-${label}-${process.pid}`;
  }

  async run(
    suffix: string,
    image: string,
    options: Partial<Docker.ContainerCreateOptions> = {},
    start = true,
  ): Promise<{ name: string; container: Docker.Container; id: string }> {
    const name = `${this.prefix}-${suffix}`;
    // No network: these tests need none, and loopback inside the container still works.
    const container = await this.docker.createContainer({
      name,
      Image: image,
      StopTimeout: 1,
      ...options,
      HostConfig: { NetworkMode: "none", ...options.HostConfig },
    });
    this.made.push(container);
    if (start) await container.start();
    return { name, container, id: container.id };
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.made.map((c) => c.remove({ force: true }).catch(() => undefined)));
  }
}
