import { Readable } from "node:stream";
import type Docker from "dockerode";
import tar from "tar-stream";

export interface FakeBuild {
  tag: string;
  dockerfile: string;
  /** The Dockerfile's text, from the context. */
  dockerfileText: string;
  /** Every file name in the context. */
  files: string[];
  buildargs: Record<string, string>;
  platform: string;
  networkmode: string;
}

export interface FakeDockerOptions {
  /** Images the engine has (name → id). */
  images?: Record<string, string>;
  /** What a wheel build writes to /out (file name → contents); the default is none. */
  wheel?: { name: string; data: Buffer };
  /** Make builds whose Dockerfile contains this text fail with these log lines. */
  failBuild?: { when: string; lines: string[]; error: string };
  /** ping() fails like a missing socket. */
  noEngine?: boolean;
}

function notFound(name: string) {
  return Object.assign(new Error(`(HTTP code 404) no such image - No such image: ${name}`), { statusCode: 404 });
}

/** Enough of dockerode for buildDebugWheel: ping, images, pull, legacy build, create + getArchive. */
export function fakeDocker(options: FakeDockerOptions = {}) {
  const images = new Map(Object.entries(options.images ?? {}));
  const builds: FakeBuild[] = [];
  const removed: string[] = [];
  const calls = { ping: 0, pull: [] as string[], prune: 0 };
  const docker = {
    modem: {
      socketPath: "/fake/docker.sock",
      followProgress() {
        throw new Error("not used");
      },
    },
    async ping() {
      calls.ping += 1;
      if (options.noEngine) throw Object.assign(new Error("connect ENOENT /fake/docker.sock"), { code: "ENOENT" });
      return "OK";
    },
    getImage(name: string) {
      return {
        async inspect() {
          const id = images.get(name);
          if (!id) throw notFound(name);
          return { Id: id };
        },
        async remove() {
          removed.push(name);
          images.delete(name);
        },
      };
    },
    async pull(name: string) {
      calls.pull.push(name);
      throw Object.assign(
        new Error(`(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`),
        {
          json: { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host' },
        },
      );
    },
    async buildImage(context: NodeJS.ReadableStream, opts: Record<string, unknown>) {
      const files: string[] = [];
      let dockerfileText = "";
      await new Promise<void>((resolve, reject) => {
        const extract = tar.extract();
        extract.on("entry", (header, body, next) => {
          files.push(header.name);
          const chunks: Buffer[] = [];
          body.on("data", (c: unknown) => chunks.push(c as Buffer));
          body.on("end", () => {
            if (header.name === opts.dockerfile) dockerfileText = Buffer.concat(chunks).toString();
            next();
          });
        });
        extract.on("finish", resolve);
        extract.on("error", reject);
        context.pipe(extract);
      });
      const build: FakeBuild = {
        tag: String(opts.t),
        dockerfile: String(opts.dockerfile),
        dockerfileText,
        files,
        buildargs: (opts.buildargs as Record<string, string>) ?? {},
        platform: String(opts.platform),
        networkmode: String(opts.networkmode),
      };
      builds.push(build);
      const messages: object[] = [
        { stream: "Step 1/9 : FROM base\n" },
        { stream: " ---> 0123456789ab\n" },
        { stream: "\u001b[91m   Compiling\u001b[0m\u001b[91m pyo3 v0.26.0\n\u001b[0m" },
      ];
      const failure = options.failBuild && dockerfileText.includes(options.failBuild.when) ? options.failBuild : null;
      if (failure) {
        for (const line of failure.lines) messages.push({ stream: `${line}\n` });
        messages.push({ errorDetail: { code: 1, message: failure.error }, error: failure.error });
      } else {
        messages.push({ stream: "Successfully built 0123456789ab\n" }, { stream: `Successfully tagged ${build.tag}\n` });
        images.set(build.tag, `sha256:${builds.length}`);
      }
      // One JSON object per line, split at awkward places like a real socket.
      const text = messages.map((m) => `${JSON.stringify(m)}\r\n`).join("");
      const chunks = [text.slice(0, 7), text.slice(7, 50), text.slice(50)];
      return Readable.from(chunks.map((c) => Buffer.from(c)));
    },
    async createContainer({ Image }: { Image: string }) {
      return {
        async getArchive({ path }: { path: string }) {
          const pack = tar.pack();
          pack.entry({ name: `${path.replace(/^\//, "")}/`, type: "directory" });
          if (options.wheel && Image.startsWith("memray-debug-build/wheel:")) pack.entry({ name: `out/${options.wheel.name}` }, options.wheel.data);
          pack.finalize();
          return pack;
        },
        async remove() {},
      };
    },
    async pruneImages() {
      calls.prune += 1;
      return {};
    },
  };
  return { docker: docker as unknown as Docker, builds, images, removed, calls };
}
