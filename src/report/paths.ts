import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { ReportContext } from "./types.js";

/** The base that every artifact URI is relative to: the repository root. */
export const SOURCE_ROOT = "%SRCROOT%";

/**
 * Maps the findings' paths (relative to the working directory) to URIs relative to the repository
 * root, so that GitHub can place them whatever directory keygate ran in.
 */
export class RepositoryPaths {
  readonly root: string;
  private readonly cwd: string;

  constructor(context: ReportContext) {
    this.cwd = context.cwd ?? process.cwd();
    this.root = context.repoRoot ?? this.cwd;
  }

  /** The path relative to the repository root with `/` separators, or undefined outside it (or for a URI). */
  relative(file: string): string | undefined {
    if (isUri(file)) return undefined;
    const rel = relative(this.root, resolve(this.cwd, file));
    if (rel === "") return ".";
    if (rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) return undefined;
    return rel.split(sep).join("/");
  }

  /**
   * A SARIF artifactLocation: relative to `%SRCROOT%`, or an absolute file URI outside the
   * repository; a location that is already a URI (a live finding's `aws://ACCOUNT/iam`) stays as it is.
   */
  artifact(file: string): { uri: string; uriBaseId?: string } {
    if (isUri(file)) return { uri: file };
    const rel = this.relative(file);
    if (rel === undefined) return { uri: pathToFileURL(resolve(this.cwd, file)).href };
    return { uri: rel.split("/").map(encodeURIComponent).join("/"), uriBaseId: SOURCE_ROOT };
  }
}

/** Whether a location's `file` is a URI with a scheme (`aws://…`) rather than a path. */
export function isUri(file: string): boolean {
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(file);
}
