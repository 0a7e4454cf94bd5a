/**
 * A WSGI app reference as waitress and gunicorn take it: `module:attr`, `module:attr.sub` or
 * `module:factory()`. The one definition of the format (the harness reads it from contract.json).
 */
export const APP_REF_PATTERN = /^(?<module>[A-Za-z_][\w.]*):(?<attr>[A-Za-z_][\w.]*)(?<call>\(\))?$/;

export interface AppRef {
  module: string;
  attr: string;
  /** The app is built by calling `attr()`. */
  factory: boolean;
}

export function parseAppRef(value: string): AppRef | null {
  const match = APP_REF_PATTERN.exec(value.trim());
  if (!match?.groups) return null;
  return { module: match.groups.module!, attr: match.groups.attr!, factory: Boolean(match.groups.call) };
}
