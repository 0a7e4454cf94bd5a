import { describe, expect, it } from "vitest";
import { computeContainerStats, type DockerStatsResponse } from "../src/container-stats.js";
import { bytesSize, humanSize, parseDockerSize } from "../src/docker-units.js";

/** A stream=false answer of a cgroup v1 engine (shape of Docker 20.10's), trimmed to what docker stats reads. */
const v1: DockerStatsResponse = {
  read: "2026-11-29T16:41:56.820131852Z",
  pids_stats: { current: 7 },
  cpu_stats: { cpu_usage: { total_usage: 139_215_436_654, percpu_usage: [1, 2] }, system_cpu_usage: 6_019_680_000_000, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 139_115_436_654 }, system_cpu_usage: 6_017_680_000_000, online_cpus: 2 },
  memory_stats: { usage: 117_403_648, limit: 25_276_514_304, stats: { total_inactive_file: 13_291_520, inactive_file: 13_000_000, cache: 20_000_000 } },
  networks: { eth0: { rx_bytes: 13_800_000, tx_bytes: 36_400 }, eth1: { rx_bytes: 200, tx_bytes: 0 } },
  blkio_stats: {
    io_service_bytes_recursive: [
      { op: "Read", value: 4096 },
      { op: "Write", value: 8192 },
      { op: "read", value: 4 },
      { op: "Sync", value: 99 },
      { op: "Total", value: 12_392 },
    ],
  },
};

describe("computeContainerStats: the Docker CLI's formulas", () => {
  it("cgroup v1: memory = usage − total_inactive_file; percent of the limit", () => {
    const stats = computeContainerStats(v1);
    expect(stats.memory_usage).toBe(117_403_648 - 13_291_520);
    expect(stats.memory_limit).toBe(25_276_514_304);
    expect(stats.memory_percent).toBeCloseTo(((117_403_648 - 13_291_520) / 25_276_514_304) * 100, 10);
    expect(stats.docker.MemUsage).toBe("99.29MiB / 23.54GiB");
    expect(stats.docker.MemPerc).toBe("0.41%");
  });

  it("cgroup v2: memory = usage − inactive_file; no counter or a counter not below usage: usage", () => {
    const v2 = { ...v1, memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 250 } } };
    expect(computeContainerStats(v2).memory_usage).toBe(750);
    expect(computeContainerStats({ ...v1, memory_stats: { usage: 1000, limit: 4000, stats: {} } }).memory_usage).toBe(1000);
    expect(
      computeContainerStats({ ...v1, memory_stats: { usage: 1000, limit: 4000, stats: { total_inactive_file: 5000, inactive_file: 100 } } }).memory_usage,
    ).toBe(900);
    expect(computeContainerStats({ ...v1, memory_stats: { usage: 1000, limit: 0 } }).memory_percent).toBe(0);
  });

  it("CPU % = Δcontainer / Δsystem × online CPUs × 100 between precpu and cpu; 0 without a positive delta", () => {
    const stats = computeContainerStats(v1);
    expect(stats.cpu_percent).toBeCloseTo((100_000_000 / 2_000_000_000) * 2 * 100, 10); // 10%
    expect(stats.docker.CPUPerc).toBe("10.00%");
    const noOnline = { ...v1, cpu_stats: { ...v1.cpu_stats, online_cpus: 0 } };
    expect(computeContainerStats(noOnline).cpu_percent).toBeCloseTo(10, 10); // percpu_usage length
    const idle = { ...v1, cpu_stats: { ...v1.cpu_stats, cpu_usage: v1.precpu_stats!.cpu_usage } };
    expect(computeContainerStats(idle)).toMatchObject({ cpu_percent: 0, docker: { CPUPerc: "0.00%" } });
    // A stream's first frame (empty precpu_stats) has no window: unknown, as docker stats' "--".
    expect(computeContainerStats({ ...v1, precpu_stats: {} })).toMatchObject({ cpu_percent: null, cpu_since: null, docker: { CPUPerc: "--" } });
  });

  it("a one-shot answer (no precpu_stats) measures CPU from the earlier reading given; none: unknown (null) and no cpu_since", () => {
    const oneShot: DockerStatsResponse = { ...v1, precpu_stats: { cpu_usage: { total_usage: 0 }, online_cpus: 0 } };
    const since = { read: "2026-11-29T16:41:55.000Z", cpu: { cpu_usage: { total_usage: 139_015_436_654 }, system_cpu_usage: 6_015_680_000_000 } };
    const measured = computeContainerStats(oneShot, since);
    expect(measured.cpu_percent).toBeCloseTo((200_000_000 / 4_000_000_000) * 2 * 100, 10); // 10% over the longer window
    expect(measured.cpu_since).toBe(since.read);
    expect(computeContainerStats(oneShot)).toMatchObject({ cpu_percent: null, cpu_since: null });
    // An engine that ignored one-shot sent its own two samples: those win, cpu_since is its preread.
    const daemon = computeContainerStats({ ...v1, preread: "2026-11-29T16:41:55.820Z" }, since);
    expect(daemon.cpu_percent).toBeCloseTo(10, 10);
    expect(daemon.cpu_since).toBe("2026-11-29T16:41:55.820Z");
  });

  it("network sums every interface; block I/O sums the r* and w* ops only", () => {
    const stats = computeContainerStats(v1);
    expect([stats.network_rx, stats.network_tx]).toEqual([13_800_200, 36_400]);
    expect([stats.block_read, stats.block_write]).toEqual([4100, 8192]);
    expect(stats.docker.NetIO).toBe("13.8MB / 36.4kB");
    expect(stats.docker.BlockIO).toBe("4.1kB / 8.19kB");
    expect(stats.docker.PIDs).toBe("7");
  });
});

describe("go-units sizes as docker stats prints them", () => {
  it("binary with 4 significant digits, decimal with 3", () => {
    expect(bytesSize(0)).toBe("0B");
    expect(bytesSize(1023)).toBe("1023B");
    expect(bytesSize(88_289_280)).toBe("84.2MiB");
    expect(bytesSize(25_276_514_304)).toBe("23.54GiB");
    expect(humanSize(0)).toBe("0B");
    expect(humanSize(999)).toBe("999B");
    expect(humanSize(13_800_000)).toBe("13.8MB");
    expect(humanSize(36_400)).toBe("36.4kB");
  });

  it("parses what the Docker CLI prints", () => {
    expect(parseDockerSize("84.2MiB")).toBeCloseTo(84.2 * 1024 * 1024, 0);
    expect(parseDockerSize("13.8MB")).toBe(13_800_000);
    expect(parseDockerSize("36.4kB")).toBeCloseTo(36_400, 6);
    expect(parseDockerSize("0B")).toBe(0);
    expect(parseDockerSize("lots")).toBeNaN();
  });
});
