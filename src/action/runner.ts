import { randomUUID } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";

/**
 * What the GitHub Actions runner gives a JavaScript action: its inputs as `INPUT_<NAME>` variables
 * (the name upper-cased, spaces as underscores, hyphens kept), the event's payload in the file
 * `GITHUB_EVENT_PATH`, and files to append outputs to (`GITHUB_OUTPUT`). Written out rather than
 * taken from @actions/core, which would bring an HTTP client (for OIDC tokens) into the bundle
 * for the three file commands used here.
 */
export class Runner {
  constructor(readonly env: NodeJS.ProcessEnv) {}

  /** An input's value, trimmed; "" when not given (action.yml's defaults are applied by the runner). */
  input(name: string): string {
    return (this.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
  }

  /** A string field of the event's payload (`pull_request.base.sha`); "" when absent or unreadable. */
  eventField(path: string): string {
    const file = this.env.GITHUB_EVENT_PATH;
    if (!file) return "";
    try {
      const value = path
        .split(".")
        .reduce<unknown>(
          (o, k) => (o as Record<string, unknown> | undefined)?.[k],
          JSON.parse(readFileSync(file, "utf8")),
        );
      return typeof value === "string" ? value : "";
    } catch {
      return "";
    }
  }

  /** Sets a step output, in the multi-line form, so that no value can break the file's format. */
  setOutput(name: string, value: string): void {
    const file = this.env.GITHUB_OUTPUT;
    if (!file) return;
    const delimiter = `keygate_${randomUUID()}`;
    appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  }
}

/** A workflow command's message, escaped as the runner expects (`%`, CR and LF). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
