/** Open a file or URL in the user's browser (xdg-open / open); false when none could be started. */
export async function openInBrowser(target: string): Promise<boolean> {
  const { execa } = await import("execa");
  const opener = process.platform === "darwin" ? "open" : "xdg-open";
  const opened = await execa(opener, [target], { reject: false, stdio: "ignore", detached: true }).catch(() => undefined);
  return Boolean(opened && opened.exitCode === 0);
}
