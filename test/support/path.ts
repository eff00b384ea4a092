import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The full path of an executable on PATH, or undefined when there is none. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
