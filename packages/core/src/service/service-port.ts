/** Service ports of the known presets (DESIGN.md): matched against the container and Compose service names. */
export const PORT_PRESETS: readonly { match: string; port: number }[] = [
  { match: "forecast", port: 5000 },
  { match: "optimization", port: 6000 },
];

export interface ServicePortInput {
  /** `--port`, when given: always wins. */
  portOverride?: number | null | undefined;
  /** Container name and Compose service name. */
  names: readonly (string | null | undefined)[];
  /** Config.ExposedPorts and NetworkSettings.Ports / HostConfig.PortBindings keys, e.g. "5000/tcp". */
  portKeys: readonly string[];
  /** The port the recognised server command listens on, if any. */
  commandPort?: number | null | undefined;
}

export type ServicePortSource = "override" | "preset" | "exposed" | "command";

export interface ServicePort {
  port: number;
  source: ServicePortSource;
}

/**
 * Decide the port the service listens on inside the container: `--port`, then the preset by name
 * (forecast → 5000, optimization → 6000), then the single exposed/published TCP port, then the port on
 * the server's command line. Returns the candidates seen when nothing decides.
 */
export function chooseServicePort(input: ServicePortInput): ServicePort | { port: null; candidates: number[] } {
  if (input.portOverride) return { port: input.portOverride, source: "override" };
  for (const preset of PORT_PRESETS) {
    if (input.names.some((name) => name?.toLowerCase().includes(preset.match))) return { port: preset.port, source: "preset" };
  }
  const candidates = tcpPorts(input.portKeys);
  if (candidates.length === 1) return { port: candidates[0]!, source: "exposed" };
  if (input.commandPort && (candidates.length === 0 || candidates.includes(input.commandPort))) {
    return { port: input.commandPort, source: "command" };
  }
  return { port: null, candidates };
}

/** Distinct TCP port numbers of keys like "5000/tcp", "53/udp", "6000". */
export function tcpPorts(keys: readonly string[]): number[] {
  const ports = new Set<number>();
  for (const key of keys) {
    const [num, proto = "tcp"] = key.split("/");
    const n = Number(num);
    if (proto === "tcp" && Number.isInteger(n) && n > 0 && n < 65536) ports.add(n);
  }
  return [...ports].sort((a, b) => a - b);
}
