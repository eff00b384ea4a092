import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's root directory: the nearest one above this module with a package.json (`src/`
 * under vitest, `dist/` when installed, `dist/bundle/` in the CLI's bundle).
 */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  if (existsSync(join(dir, "package.json"))) return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new Error(`keygate's package.json was not found above ${fileURLToPath(import.meta.url)}`);
  return findRoot(parent);
}

const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  homepage: string;
  repository: { url: string };
};

/** keygate's name and version, as reports state them. */
export const TOOL = { name: manifest.name, version: manifest.version } as const;

/** The project's repository on the web, e.g. `https://github.com/keygate-dev/keygate`. */
export const REPOSITORY_URL = manifest.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");

/** A page of the documentation (`docs/PAGE`) as this very version has it. */
export function docsUrl(page: string): string {
  return `${REPOSITORY_URL}/blob/v${TOOL.version}/docs/${page}`;
}

/** The documentation page of a policy for this very version (never typed twice: derived from id and version). */
export function policyDocsUrl(policyId: string): string {
  return docsUrl(`policies/${policyId}.md`);
}
