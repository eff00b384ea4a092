import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { TOOL } from "../package.js";
import type { ParseResult } from "./terraform-syntax.js";

/** The parser's identity: a cache written by another hcl2json would not be trusted. */
const PARSER = "@cdktf/hcl2json@0.21";

/** Where parse results are kept between runs unless `--cache-location` says otherwise. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "keygate");
}

/** The content hash a parse result is filed under. */
export function contentKey(text: string): string {
  return createHash("sha1").update(text).digest("base64url");
}

/**
 * Parse results keyed by content hash, in one file per working directory, tool version and policy
 * set. A cache that cannot be read, is corrupt or was written by another version is ignored (and
 * replaced), never trusted; one that cannot be written is simply not kept.
 */
export class ParseCache {
  private entries = new Map<string, ParseResult>();
  private readonly used = new Map<string, ParseResult>();
  private changed = false;
  readonly file: string;

  constructor(dir: string, scope: { cwd: string; policies: readonly string[] }) {
    const id = createHash("sha1").update([TOOL.version, PARSER, scope.cwd, ...scope.policies].join("\u0000")).digest("hex").slice(0, 16);
    this.file = join(dir, `parse-${id}.v8`);
  }

  /** Reads the cache file; anything wrong with it leaves the cache empty. */
  async load(): Promise<void> {
    try {
      const data = deserialize(await readFile(this.file)) as { version?: unknown; parser?: unknown; entries?: unknown };
      if (data.version !== TOOL.version || data.parser !== PARSER || !(data.entries instanceof Map)) return;
      for (const [key, value] of data.entries as Map<unknown, unknown>) {
        if (typeof key === "string" && isParseResult(value)) this.entries.set(key, value);
      }
    } catch {
      this.entries = new Map();
    }
  }

  get(key: string): ParseResult | undefined {
    const hit = this.entries.get(key);
    if (hit) this.used.set(key, hit);
    return hit;
  }

  set(key: string, result: ParseResult): void {
    this.used.set(key, result);
    this.changed = true;
  }

  /** Writes what this run used (so the file does not grow without bound), atomically. */
  async save(): Promise<void> {
    if (!this.changed && this.used.size === this.entries.size) return;
    try {
      await mkdir(join(this.file, ".."), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, serialize({ version: TOOL.version, parser: PARSER, entries: this.used }));
      await rename(temporary, this.file);
    } catch {
      // A cache is an optimisation: failing to keep it must not fail the run.
    }
  }
}

function isParseResult(value: unknown): value is ParseResult {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { ok?: unknown; body?: unknown; problems?: unknown };
  if (v.ok === true) return typeof v.body === "object" && v.body !== null && !Array.isArray(v.body);
  return v.ok === false && Array.isArray(v.problems) && v.problems.every((p) => typeof p === "object" && p !== null && typeof (p as { message?: unknown }).message === "string");
}
