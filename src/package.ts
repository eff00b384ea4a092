import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package's root directory (the same from `src/` under vitest and from `dist/` when installed). */
export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
  homepage: string;
  repository: { url: string };
};

/** keygate's name and version, as reports state them. */
export const TOOL = { name: manifest.name, version: manifest.version } as const;

/** The project's repository on the web, e.g. `https://github.com/keygate-dev/keygate`. */
export const REPOSITORY_URL = manifest.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");

/** The documentation page of a policy for this very version (never typed twice: derived from id and version). */
export function policyDocsUrl(policyId: string): string {
  return `${REPOSITORY_URL}/blob/v${TOOL.version}/docs/policies/${policyId}.md`;
}
