import { describe, expect, it } from "vitest";
import { splitShellCommands, splitShellWords } from "../src/service/shell-words.js";

describe("shell words", () => {
  it("keeps quoted text together and unescapes", () => {
    expect(splitShellWords(`gunicorn -b '0.0.0.0:6000' "a b" c\\ d "x\\"y" 'it''s'`)).toEqual(["gunicorn", "-b", "0.0.0.0:6000", "a b", "c d", 'x"y', "its"]);
  });
  it("splits commands at control operators and newlines, drops comments", () => {
    expect(splitShellCommands("cd /srv && exec gunicorn app:app; echo done # trailing\nnext || x | y &")).toEqual([
      ["cd", "/srv"],
      ["exec", "gunicorn", "app:app"],
      ["echo", "done"],
      ["next"],
      ["x"],
      ["y"],
    ]);
  });
  it("does not split operators inside quotes", () => {
    expect(splitShellCommands(`echo 'a;b' "c && d"`)).toEqual([["echo", "a;b", "c && d"]]);
  });
});
