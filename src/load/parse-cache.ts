import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Stats } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { deserialize, serialize } from "node:v8";
import { TOOL } from "../package.js";
import { makeDirectory } from "./make-directory.js";
import type { ParsedHcl } from "./parse-pool.js";

/** The parser's identity: a cache written by another hcl2json would not be trusted. */
const PARSER = "keygate-tree1+@cdktf/hcl2json@0.21+outline1+facts1";

/** Where parse results are kept between runs unless `--cache-location` says otherwise. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "keygate");
}

/**
 * Where the key that signs the caches of this account lives: in its state directory, never in a
 * cache directory, so that a cache restored from elsewhere (a CI cache, a shared --cache-location)
 * cannot come with a key that makes it verify.
 */
export function defaultCacheKeyFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "keygate", "cache-key");
}

/** The first bytes of a signed cache file; a file without them is foreign (another version, or not a cache). */
const MAGIC = Buffer.from("keygate-cache-v2\n");
const MAC_LENGTH = 32;

/** This account's cache key (made on first use, readable by its owner only); undefined when it cannot be had. */
async function cacheKey(file: string): Promise<Buffer | undefined> {
  try {
    const key = await readFile(file);
    if (key.length >= 32) return key;
  } catch {
    // none yet
  }
  try {
    await makeDirectory(dirname(file), 0o700);
    const key = randomBytes(32);
    await writeFile(file, key, { mode: 0o600, flag: "wx" });
    return key;
  } catch {
    // Another run made it meanwhile, or the state directory is not writable.
    try {
      const key = await readFile(file);
      return key.length >= 32 ? key : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The content hash a parse result is filed under. */
export function contentKey(text: string): string {
  return createHash("sha1").update(text).digest("base64url");
}

/**
 * What a survey found of a file (see survey.ts), remembered by its content hash (git's object id,
 * see git.ts): a later run that finds the same id for a file need not read it, unless its
 * configuration turns out to matter.
 */
export interface FileFacts {
  wellFormed: boolean;
  skeleton: "plain" | "outlined" | "none";
  /** Which of the prefilter's words the text contains, as a bit mask over them (in their order). */
  mentions: number;
}

/**
 * Parse results and survey facts keyed by content hash, in one file per working directory, tool
 * version and policy set. The cache is a hint, never a source of truth: every file is signed
 * (HMAC-SHA-256) with a key of this account's that lives outside the cache directory (see
 * defaultCacheKeyFile), and what it says about a file is used only for the content it was taken
 * from (the loader checks the file's blob id on use). A cache whose signature does not verify
 * (edited, or written elsewhere) is ignored with a note; one that cannot be read, is corrupt or was
 * written by another version is ignored (and replaced); one that cannot be written is not kept.
 */
export class ParseCache {
  private entries = new Map<string, ParsedHcl>();
  private readonly used = new Map<string, ParsedHcl>();
  /** Facts packed into one number each (see pack): a cache of ten thousand files loads in milliseconds. */
  private files = new Map<string, number>();
  private readonly usedFiles = new Map<string, number>();
  /** Working-tree files whose blob id keygate computed, by path: the id and the file's metadata then (see vouched). */
  private stats = new Map<string, string>();
  private readonly usedStats = new Map<string, string>();
  /** Records other modules keep in the cache, each under its own name (see record). */
  private records = new Map<string, Map<string, unknown>>();
  private readonly usedRecords = new Map<string, Map<string, unknown>>();
  private wordsChecked: readonly string[] | undefined;
  private wordsMatch = false;
  private words: readonly string[] = [];
  private changed = false;
  readonly file: string;
  private readonly keyFile: string;
  private key: Promise<Buffer | undefined> | undefined;
  /** Said of a cache that was there but not used (for the CLI to show). */
  readonly notes: string[] = [];

  constructor(dir: string, scope: { cwd: string; policies: readonly string[]; keyFile?: string }) {
    const id = createHash("sha1")
      .update([TOOL.version, PARSER, scope.cwd, ...scope.policies].join("\u0000"))
      .digest("hex")
      .slice(0, 16);
    this.file = join(dir, `parse-${id}.v8`);
    this.keyFile = scope.keyFile ?? defaultCacheKeyFile(process.env);
  }

  private signature(key: Buffer, payload: Buffer): Buffer {
    return createHmac("sha256", key).update(MAGIC).update(payload).digest();
  }

  private loading: Promise<void> | undefined;

  /** Reads the cache file, once (a change-aware scan's two sides share it); anything wrong with it leaves the cache empty. */
  load(): Promise<void> {
    return (this.loading ??= this.loadNow());
  }

  private async loadNow(): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readFile(this.file);
    } catch {
      return;
    }
    const key = await (this.key ??= cacheKey(this.keyFile));
    if (!key || raw.length < MAGIC.length + MAC_LENGTH || !raw.subarray(0, MAGIC.length).equals(MAGIC)) return;
    const mac = raw.subarray(MAGIC.length, MAGIC.length + MAC_LENGTH);
    const payload = raw.subarray(MAGIC.length + MAC_LENGTH);
    if (!timingSafeEqual(mac, this.signature(key, payload))) {
      this.notes.push(
        `the cache ${this.file} was not written by keygate under this account (its signature does not verify): ignored, and replaced`,
      );
      this.changed = true;
      return;
    }
    try {
      const data = deserialize(payload) as {
        version?: unknown;
        parser?: unknown;
        entries?: unknown;
        files?: unknown;
        stats?: unknown;
        words?: unknown;
        records?: unknown;
      };
      if (data.version !== TOOL.version || data.parser !== PARSER || !(data.entries instanceof Map)) return;
      for (const [key, value] of data.entries as Map<unknown, unknown>) {
        if (typeof key === "string" && isParsedHcl(value)) this.entries.set(key, value);
      }
      if (data.files instanceof Map && Array.isArray(data.words) && data.words.every((w) => typeof w === "string")) {
        for (const [key, packed] of data.files as Map<unknown, unknown>)
          if (typeof key === "string" && isPacked(packed)) this.files.set(key, packed);
        this.words = data.words;
      }
      if (data.stats instanceof Map)
        for (const [path, record] of data.stats as Map<unknown, unknown>)
          if (typeof path === "string" && typeof record === "string") this.stats.set(path, record);
      if (data.records instanceof Map)
        for (const [name, values] of data.records as Map<unknown, unknown>)
          if (typeof name === "string" && values instanceof Map) this.records.set(name, values as Map<string, unknown>);
    } catch {
      this.entries = new Map();
      this.files = new Map();
      this.stats = new Map();
      this.records = new Map();
    }
  }

  /** How many files this run knew from the cache without reading them (for diagnostics and tests). */
  factHits = 0;

  /** The facts remembered of a content (by its object id), if they were taken with the same prefilter words. */
  facts(key: string, words: readonly string[]): FileFacts | undefined {
    if (this.wordsChecked !== words) {
      this.wordsChecked = words;
      this.wordsMatch = sameWords(this.words, words);
    }
    if (!this.wordsMatch) return undefined;
    const packed = this.files.get(key);
    if (packed === undefined) return undefined;
    this.usedFiles.set(key, packed);
    this.factHits++;
    return unpack(packed);
  }

  /** Remembers what a survey found of a content (by its object id), for the next run. */
  setFacts(key: string, facts: FileFacts, words: readonly string[]): void {
    if (!sameWords(this.words, words)) {
      this.words = words;
      this.wordsChecked = undefined;
      this.usedFiles.clear();
    }
    const packed = pack(facts);
    this.usedFiles.set(key, packed);
    if (this.files.get(key) !== packed) this.changed = true;
  }

  /**
   * The blob id keygate computed for a working-tree file's content in an earlier run, when the file's
   * metadata (size, modification and change times, inode, device) is still what it was then, as
   * git's index vouches for unchanged files: no write can leave all of them as they were (any write
   * sets the change time, which no program can set back). Undefined: read the file.
   */
  vouched(path: string, info: FileMetadata): string | undefined {
    const record = this.stats.get(path);
    if (record === undefined) return undefined;
    const space = record.indexOf(" ");
    if (record.slice(space + 1) !== metadataOf(info)) return undefined;
    this.usedStats.set(path, record);
    return record.slice(0, space);
  }

  /**
   * Remembers the blob id of a working-tree file's content as just read, with its metadata (fstat of
   * the descriptor it was read through). Not for a file changed in the last seconds: a write in the
   * same tick of the file system's clock could leave the times as they are (git's "racy" files).
   */
  vouch(path: string, info: FileMetadata, blobId: string, now = Date.now()): void {
    if (!(info.ctimeMs < now - RACY_MS && info.mtimeMs < now - RACY_MS)) return;
    const record = `${blobId} ${metadataOf(info)}`;
    this.usedStats.set(path, record);
    if (this.stats.get(path) !== record) this.changed = true;
  }

  /**
   * Keeps what the cache holds of a content (by its object id: facts, parsed body, skeleton) for
   * the next run, unlooked-up: a run that knows the content is unchanged without reading it (see
   * model/call-graph.ts) must not make the cache forget it.
   */
  keep(id: string): void {
    const packed = this.files.get(id);
    if (packed !== undefined) this.usedFiles.set(id, packed);
    for (const key of [`blob:${id}`, `skeleton:${id}`]) {
      const entry = this.entries.get(key);
      if (entry) this.used.set(key, entry);
    }
  }

  /** Keeps a working-tree file's metadata record (see vouch) for the next run, unchecked (the same reason as keep). */
  keepVouched(path: string): void {
    const record = this.stats.get(path);
    if (record !== undefined) this.usedStats.set(path, record);
  }

  /**
   * A record another module keeps in the cache under its own name (model/call-graph.ts: "calls"):
   * values by string key, signed and dropped when unused like the rest. Values come back as
   * `unknown`: the record's owner checks their shape on use.
   */
  record(name: string): CacheRecord {
    const loaded = () => this.records.get(name);
    let used = this.usedRecords.get(name);
    if (!used) this.usedRecords.set(name, (used = new Map<string, unknown>()));
    const kept = used;
    return {
      get: (key) => {
        const value = loaded()?.get(key);
        if (value !== undefined) kept.set(key, value);
        return value;
      },
      set: (key, value) => {
        const before = loaded()?.get(key);
        kept.set(key, value);
        if (before === undefined || !isDeepStrictEqual(before, value)) this.changed = true;
      },
    };
  }

  get(key: string): ParsedHcl | undefined {
    const hit = this.entries.get(key);
    if (hit) this.used.set(key, hit);
    return hit;
  }

  set(key: string, result: ParsedHcl): void {
    this.used.set(key, result);
    // Keys are content hashes: an entry already kept is the same entry.
    if (!this.entries.has(key)) this.changed = true;
  }

  /** Writes what this run used (so the file does not grow without bound), atomically. */
  async save(): Promise<void> {
    if (
      !this.changed &&
      this.used.size === this.entries.size &&
      this.usedFiles.size === this.files.size &&
      this.usedStats.size === this.stats.size &&
      [...this.usedRecords].every(([name, used]) => used.size === (this.records.get(name)?.size ?? 0)) &&
      [...this.records.keys()].every((name) => this.usedRecords.has(name))
    )
      return;
    try {
      const key = await (this.key ??= cacheKey(this.keyFile));
      if (!key) return;
      await makeDirectory(join(this.file, ".."));
      const temporary = `${this.file}.${process.pid}.tmp`;
      const payload = serialize({
        version: TOOL.version,
        parser: PARSER,
        entries: this.used,
        files: this.usedFiles,
        words: this.words,
        stats: this.usedStats,
        records: this.usedRecords,
      });
      await writeFile(temporary, Buffer.concat([MAGIC, this.signature(key, payload), payload]));
      await rename(temporary, this.file);
    } catch {
      // A cache is an optimisation: failing to keep it must not fail the run.
    }
  }
}

/** Values kept by string key in the cache (see ParseCache.record). */
export interface CacheRecord {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** How recent a change to a file may be for its metadata to vouch for its content later (coarse clocks tick in 1–2 s). */
const RACY_MS = 3000;

/** What of a file's metadata (fs.Stats) vouches for its content. */
export type FileMetadata = Pick<Stats, "size" | "mtimeMs" | "ctimeMs" | "ino" | "dev">;

function metadataOf(info: FileMetadata): string {
  return `${info.size} ${info.mtimeMs} ${info.ctimeMs} ${info.ino} ${info.dev}`;
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

const SKELETONS = ["plain", "outlined", "none"] as const;

/** Facts as one number: bit 0 well formed, bits 1–2 the kind of skeleton, bits 3 and up the words mentioned. */
function pack(facts: FileFacts): number {
  return (facts.wellFormed ? 1 : 0) | (SKELETONS.indexOf(facts.skeleton) << 1) | (facts.mentions << 3);
}

function unpack(packed: number): FileFacts {
  return { wellFormed: (packed & 1) === 1, skeleton: SKELETONS[(packed >> 1) & 3]!, mentions: packed >>> 3 };
}

function isPacked(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && ((value >> 1) & 3) < SKELETONS.length;
}

function isParsedHcl(value: unknown): value is ParsedHcl {
  if (typeof value !== "object" || value === null) return false;
  const { result, outline } = value as { result?: unknown; outline?: unknown };
  if (
    outline !== undefined &&
    !(
      typeof outline === "object" &&
      outline !== null &&
      Array.isArray((outline as { blocks?: unknown }).blocks) &&
      Array.isArray((outline as { comments?: unknown }).comments)
    )
  )
    return false;
  if (typeof result !== "object" || result === null) return false;
  const r = result as { ok?: unknown; body?: unknown; problems?: unknown };
  if (r.ok === true)
    return (
      typeof r.body === "object" &&
      r.body !== null &&
      Array.isArray((r.body as { attributes?: unknown }).attributes) &&
      Array.isArray((r.body as { blocks?: unknown }).blocks)
    );
  return (
    r.ok === false &&
    Array.isArray(r.problems) &&
    r.problems.every(
      (p) => typeof p === "object" && p !== null && typeof (p as { message?: unknown }).message === "string",
    )
  );
}
