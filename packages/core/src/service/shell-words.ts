/**
 * Split a POSIX shell command line into words, the way `sh -c` would before running it (quotes,
 * backslashes), without expanding anything. Control operators (`;`, `&&`, `||`, `|`, `&`) become their
 * own tokens so a caller can split a script into simple commands. Used only to READ commands (a
 * container's `sh -c "..."` Cmd); nothing here is ever handed to a shell.
 */
export type ShellToken = { word: string } | { op: string };

export function tokenizeShell(line: string): ShellToken[] {
  const tokens: ShellToken[] = [];
  let word = "";
  let inWord = false;
  const flush = () => {
    if (inWord) tokens.push({ word });
    word = "";
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end === -1 ? line.length : end;
      word += line.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (c === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          i++;
          if (line[i] !== "\n") word += line[i];
        } else {
          word += line[i];
        }
      }
    } else if (c === "\\") {
      if (i + 1 < line.length) {
        i++;
        if (line[i] !== "\n") {
          word += line[i];
          inWord = true;
        }
      }
    } else if (c === "#" && !inWord) {
      // comment to end of line
      const nl = line.indexOf("\n", i);
      if (nl === -1) break;
      i = nl - 1;
    } else if (c === ";" || c === "&" || c === "|") {
      flush();
      const next = line[i + 1];
      if ((c === "&" || c === "|") && next === c) {
        tokens.push({ op: c + c });
        i++;
      } else {
        tokens.push({ op: c });
      }
    } else if (c === "\n") {
      flush();
      tokens.push({ op: ";" });
    } else if (/\s/.test(c)) {
      flush();
    } else {
      word += c;
      inWord = true;
    }
  }
  flush();
  return tokens;
}

/** The words of a shell line, ignoring control operators. */
export function splitShellWords(line: string): string[] {
  return tokenizeShell(line).flatMap((t) => ("word" in t ? [t.word] : []));
}

/** The simple commands of a shell script (split at `;`, `&&`, `||`, `|`, `&`, newlines). */
export function splitShellCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  for (const token of tokenizeShell(line)) {
    if ("op" in token) commands.push([]);
    else commands[commands.length - 1]!.push(token.word);
  }
  return commands.filter((c) => c.length > 0);
}
