import type { z } from "zod";

/** "path: message; path: message" from a zod error (the first five issues), for error messages. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}
