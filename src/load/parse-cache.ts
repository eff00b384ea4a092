import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, type Stats } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { TOOL } from "../package.js";
import { makeDirectory } from "./make-directory.js";
import type { ParsedHcl } from "./parse-pool.js";

/** node:v8, loaded when a cache is first read or written (a run without a cache never needs it). */
const v8 = () => process.getBuiltinModule("node:v8");
const serialize = (value: unknown): Buffer => v8().serialize(value);
const deserialize = (bytes: NodeJS.TypedArray | Buffer): unknown => v8().deserialize(bytes);

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
const MAGIC = Buffer.from("keygate-cache-v3\n");
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

/**
 * A file signed as the cache is (HMAC-SHA-256 with this account's key, after its own magic bytes):
 * its payload, "forged" when its signature does not verify, undefined when it is absent, foreign
 * or the key cannot be had. The verdicts of unchanged configurations live in one of their own
 * (see scan-verdicts.ts), so that a scan that takes them reads only that.
 */
export async function readSignedFile(
  file: string,
  keyFile: string,
  magic: Buffer,
): Promise<Buffer | "forged" | undefined> {
  let raw: Buffer;
  try {
    // At once: a few megabytes, nothing to do meanwhile (the asynchronous read takes several turns of the thread pool).
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  const key = await cacheKey(keyFile);
  if (!key || raw.length < magic.length + MAC_LENGTH || !raw.subarray(0, magic.length).equals(magic)) return undefined;
  const mac = raw.subarray(magic.length, magic.length + MAC_LENGTH);
  const payload = raw.subarray(magic.length + MAC_LENGTH);
  return timingSafeEqual(mac, sign(key, magic, payload)) ? payload : "forged";
}

/** Writes a signed file (see readSignedFile) atomically; a failure leaves none (the cache is an optimisation). */
export async function writeSignedFile(
  file: string,
  keyFile: string,
  magic: Buffer,
  payload: Uint8Array,
): Promise<void> {
  try {
    const key = await cacheKey(keyFile);
    if (!key) return;
    await makeDirectory(dirname(file));
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, Buffer.concat([magic, sign(key, magic, payload), payload]));
    await rename(temporary, file);
  } catch {
    // not kept
  }
}

function sign(key: Buffer, magic: Buffer, payload: Uint8Array): Buffer {
  return createHmac("sha256", key).update(magic).update(payload).digest();
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
 *
 * The file, once its signature is checked, is read as needed (see {@link CacheLayout}): the survey
 * facts and file metadata when a scan first asks for them, each parse result when its content is
 * met, each record another part of keygate keeps (see {@link record}) when first asked for. A scan
 * of one directory of a large repository does not pay for the whole repository's entries.
 */
export class ParseCache {
  /** The verified file's data region, and where each entry and section lies in it. */
  private stored: StoredCache | undefined;
  /** Entries this run used, made or kept: the parse result (once read), and its serialized bytes when it came from the file. */
  private readonly used = new Map<string, { value?: ParsedHcl; bytes?: Uint8Array }>();
  /** Facts packed into one number each (see pack), read from the file on first use. */
  private filesRead: PackedMap<number> | undefined;
  private readonly usedFiles = new Map<string, number>();
  /** Working-tree files whose blob id keygate computed, by path: the id and the file's metadata then (see vouched). */
  private statsRead: PackedMap<string> | undefined;
  private readonly usedStats = new Map<string, string>();
  private readonly sectionsRead = new Map<string, unknown>();
  /** Records other modules keep in the cache, each under its own name (see record), as read from the file. */
  private readonly records = new Map<string, Map<string, unknown>>();
  private readonly usedRecords = new Map<string, Map<string, unknown>>();
  private wordsChecked: readonly string[] | undefined;
  private wordsMatch = false;
  private words: readonly string[] = [];
  private changed = false;
  readonly file: string;
  /** The file holding this account's key that signs the cache (see defaultCacheKeyFile). */
  readonly keyFile: string;
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

  private loading: Promise<void> | undefined;

  /**
   * Reads the cache file and checks its signature, once (a change-aware scan's two sides share it);
   * anything wrong with it leaves the cache empty.
   */
  load(): Promise<void> {
    return (this.loading ??= this.loadNow());
  }

  private async loadNow(): Promise<void> {
    const payload = await readSignedFile(this.file, this.keyFile, MAGIC);
    if (!payload) return;
    if (payload === "forged") {
      this.notes.push(
        `the cache ${this.file} was not written by keygate under this account (its signature does not verify): ignored, and replaced`,
      );
      this.changed = true;
      return;
    }
    this.stored = readLayout(payload);
    if (this.stored) this.words = this.stored.layout.words;
  }

  /** A section's value as stored, deserialized once (undefined: absent or unreadable). */
  private readSection(name: string): unknown {
    if (!this.sectionsRead.has(name)) {
      const bytes = this.stored && slice(this.stored, this.stored.layout.sections.get(name));
      let value: unknown;
      try {
        value = bytes && deserialize(bytes);
      } catch {
        value = undefined;
      }
      this.sectionsRead.set(name, value);
    }
    return this.sectionsRead.get(name);
  }

  /**
   * A section holding a map (see PackedMap), its well-formed entries only (empty when absent or
   * unreadable), checked as they are looked up: ten thousand entries made into keys, values and a map
   * of their own, for a run that looks up a dozen, add up.
   */
  private readMap<V>(name: string, isValue: (value: unknown) => value is V): PackedMap<V> {
    return new PackedMap(this.readSection(name), isValue);
  }

  private get files(): PackedMap<number> {
    return (this.filesRead ??= this.readMap(FILES, isPacked));
  }

  private get stats(): PackedMap<string> {
    return (this.statsRead ??= this.readMap(STATS, (record): record is string => typeof record === "string"));
  }

  /** A record as the file holds it (read on first use). */
  private storedRecord(name: string): Map<string, unknown> | undefined {
    if (this.droppedRecords.has(name)) return undefined;
    if (!this.records.has(name)) this.records.set(name, recordOf(this.readSection(`${RECORD}${name}`)));
    return this.records.get(name);
  }

  /** Names of the records the file holds (but those dropped, see dropRecord). */
  private storedRecordNames(): string[] {
    return [...(this.stored?.layout.sections.keys() ?? [])]
      .filter((section) => section.startsWith(RECORD))
      .map((section) => section.slice(RECORD.length))
      .filter((name) => !this.droppedRecords.has(name));
  }

  private readonly droppedRecords = new Set<string>();

  /**
   * Drops a record whole (see record), whatever this run did with it: the file is written without it,
   * even by a run that keeps everything else (see retainAll), and what it held is not read any more
   * (a record of that name made after is a new one). A record's owner bounds so how many it
   * keeps (change/walk.ts keeps one record for each of the last commits compared with).
   */
  dropRecord(name: string): void {
    if (!this.usedRecords.has(name) && !this.stored?.layout.sections.has(`${RECORD}${name}`)) return;
    this.usedRecords.delete(name);
    this.droppedRecords.add(name);
    this.changed = true;
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
    // Retaining, everything the file holds is kept already (see retainAll): the facts need not be read for it.
    if (this.retaining) return;
    const packed = this.files.get(id);
    if (packed !== undefined) this.usedFiles.set(id, packed);
    for (const key of [`blob:${id}`, `skeleton:${id}`]) {
      if (this.used.has(key)) continue;
      const bytes = this.stored && slice(this.stored, this.stored.layout.entries.get(key));
      if (bytes) this.used.set(key, { bytes });
    }
  }

  /**
   * The metadata record this run holds for a working-tree file (`blobId size mtimeMs ctimeMs ino
   * dev`): vouched for unread, or just vouched for after reading (see vouched, vouch); undefined
   * when neither happened. The scan's verdicts keep it (see scan-verdicts.ts).
   */
  vouchedRecord(path: string): string | undefined {
    return this.usedStats.get(path);
  }

  /** Keeps a working-tree file's metadata record (see vouch) for the next run, unchecked (the same reason as keep). */
  keepVouched(path: string): void {
    if (this.retaining) return;
    const record = this.stats.get(path);
    if (record !== undefined) this.usedStats.set(path, record);
  }

  /**
   * A record another module keeps in the cache under its own name (model/call-graph.ts: "calls"):
   * values by string key, signed and dropped when unused like the rest. Values come back as
   * `unknown`: the record's owner checks their shape on use. Values are kept as JSON (a record is
   * one JSON text in the file: JSON.parse takes a fraction of the time V8's deserializer takes over
   * many small lists), so they must be JSON values: strings, finite numbers, booleans, null, lists
   * and plain objects of them.
   */
  record(name: string): CacheRecord {
    let used = this.usedRecords.get(name);
    if (!used) this.usedRecords.set(name, (used = new Map<string, unknown>()));
    const kept = used;
    return {
      get: (key) => {
        const value = this.storedRecord(name)?.get(key);
        if (value !== undefined) kept.set(key, value);
        return value;
      },
      set: (key, value) => {
        const before = this.storedRecord(name)?.get(key);
        kept.set(key, value);
        if (before === undefined || !isDeepStrictEqual(before, value)) this.changed = true;
      },
      latest: (key) => {
        const value = kept.get(key) ?? this.storedRecord(name)?.get(key);
        if (value !== undefined) kept.set(key, value);
        return value;
      },
    };
  }

  get(key: string): ParsedHcl | undefined {
    const used = this.used.get(key);
    if (used?.value) return used.value;
    const bytes = used?.bytes ?? (this.stored && slice(this.stored, this.stored.layout.entries.get(key)));
    if (!bytes) return undefined;
    let value: unknown;
    try {
      value = deserialize(bytes);
    } catch {
      return undefined;
    }
    if (!isParsedHcl(value)) return undefined;
    this.used.set(key, { value, bytes });
    return value;
  }

  set(key: string, result: ParsedHcl): void {
    // Keys are content hashes: an entry already kept is the same entry.
    if (this.used.has(key)) return;
    this.used.set(key, { value: result });
    if (!this.stored?.layout.entries.has(key)) this.changed = true;
  }

  private retaining = false;

  /**
   * Keeps everything the file holds for the next run, used or not: a change-aware run that knew
   * directories by a summary (model/call-graph.ts), without listing their files, cannot keep their
   * entries one by one (see keep), and must not make the cache forget them. What it keeps that no
   * file has any more is dropped by the next run that does not retain.
   */
  retainAll(): void {
    this.retaining = true;
  }

  /** What the file holds and this run did not use, added to what it keeps (see retainAll). */
  private retainStored(): void {
    const stored = this.stored;
    if (!stored) return;
    for (const [key, extent] of stored.layout.entries)
      if (!this.used.has(key)) this.used.set(key, { bytes: slice(stored, extent)! });
    if (sameWords(stored.layout.words, this.words))
      for (const [key, packed] of this.files) if (!this.usedFiles.has(key)) this.usedFiles.set(key, packed);
    for (const [path, record] of this.stats) if (!this.usedStats.has(path)) this.usedStats.set(path, record);
    for (const name of this.storedRecordNames()) {
      let used = this.usedRecords.get(name);
      if (!used) this.usedRecords.set(name, (used = new Map<string, unknown>()));
      for (const [key, value] of this.storedRecord(name) ?? []) if (!used.has(key)) used.set(key, value);
    }
  }

  /** Writes what this run used (so the file does not grow without bound), atomically. */
  async save(): Promise<void> {
    if (this.retaining) {
      // Nothing is dropped: with nothing new either, the file already holds it all.
      if (!this.changed) return;
      this.retainStored();
    }
    const layout = this.stored?.layout;
    if (
      !this.changed &&
      this.used.size === (layout?.entries.size ?? 0) &&
      this.usedFiles.size === this.files.size &&
      this.usedStats.size === this.stats.size &&
      this.files.wellFormed &&
      this.stats.wellFormed &&
      [...this.usedRecords].every(([name, used]) => used.size === (this.storedRecord(name)?.size ?? 0)) &&
      this.storedRecordNames().every((name) => this.usedRecords.has(name))
    )
      return;
    try {
      const parts: Uint8Array[] = [];
      let offset = 0;
      const place = (bytes: Uint8Array): Extent => {
        const extent: Extent = [offset, bytes.length];
        parts.push(bytes);
        offset += bytes.length;
        return extent;
      };
      const sections = new Map<string, Extent>([
        [FILES, place(serialize(packMap(this.usedFiles)))],
        [STATS, place(serialize(packMap(this.usedStats)))],
      ]);
      for (const [name, values] of [...this.usedRecords].sort(([a], [b]) => (a < b ? -1 : 1)))
        if (values.size > 0) sections.set(`${RECORD}${name}`, place(serialize(JSON.stringify([...values]))));
      const entries = new Map<string, Extent>();
      for (const [entry, { value, bytes }] of this.used) entries.set(entry, place(bytes ?? serialize(value)));
      const header = serialize({
        version: TOOL.version,
        parser: PARSER,
        words: this.words,
        sections,
        entries,
      } satisfies CacheLayout);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(header.length);
      await writeSignedFile(this.file, this.keyFile, MAGIC, Buffer.concat([length, header, ...parts]));
    } catch {
      // A cache is an optimisation: failing to keep it must not fail the run.
    }
  }
}

/** A map as a section keeps it: sorted keys in one text with their ends, values in a Float64Array or one text with their ends. */
interface PackedSection {
  keys: string;
  ends: Uint32Array;
  values: Float64Array | { text: string; ends: Uint32Array };
}

/** A map's section (see PackedSection): numbers or texts, as the map's values are. */
function packMap(map: ReadonlyMap<string, number> | ReadonlyMap<string, string>): PackedSection {
  const keys = [...map.keys()].sort();
  const ends = new Uint32Array(keys.length);
  let end = 0;
  keys.forEach((key, i) => (ends[i] = end += key.length));
  const values = keys.map((key) => map.get(key)!);
  if (values.every((value) => typeof value === "number"))
    return { keys: keys.join(""), ends, values: new Float64Array(values) };
  const valueEnds = new Uint32Array(keys.length);
  end = 0;
  values.forEach((value, i) => (valueEnds[i] = end += String(value).length));
  return { keys: keys.join(""), ends, values: { text: values.join(""), ends: valueEnds } };
}

/**
 * A map section (see PackedSection), values checked as read; found by binary search, or in a map
 * made after many lookups. One that is no such section is empty and not well formed (rewritten).
 */
class PackedMap<V> {
  private readonly count: number;
  private readonly keys: string = "";
  private readonly ends: Uint32Array = new Uint32Array(0);
  private readonly value: (index: number) => unknown = () => undefined;
  readonly wellFormed: boolean;
  private lookups = 0;
  private all: Map<string, V> | undefined;

  constructor(
    stored: unknown,
    private readonly isValue: (value: unknown) => value is V,
  ) {
    const { keys, ends, values } = (typeof stored === "object" && stored !== null ? stored : {}) as Partial<
      Record<keyof PackedSection, unknown>
    >;
    const count = ends instanceof Uint32Array ? ends.length : 0;
    const fits = (text: unknown, at: unknown): at is Uint32Array =>
      typeof text === "string" &&
      at instanceof Uint32Array &&
      at.length === count &&
      at.every((end, i) => end >= (i ? at[i - 1]! : 0)) &&
      (count ? at[count - 1] : 0) === text.length;
    const texts = (typeof values === "object" && values !== null ? values : {}) as { text?: unknown; ends?: unknown };
    if (fits(keys, ends) && (values instanceof Float64Array ? values.length === count : fits(texts.text, texts.ends))) {
      this.keys = keys as string;
      this.ends = ends;
      if (values instanceof Float64Array) this.value = (i) => values[i];
      else {
        const { text, ends: at } = values as { text: string; ends: Uint32Array };
        this.value = (i) => text.slice(i ? at[i - 1] : 0, at[i]);
      }
      this.count = count;
      this.wellFormed = true;
    } else {
      this.count = 0;
      this.wellFormed = stored === undefined;
    }
  }

  private key(index: number): string {
    return this.keys.slice(index ? this.ends[index - 1] : 0, this.ends[index]);
  }

  get(key: string): V | undefined {
    if (this.all) return this.all.get(key);
    if (++this.lookups > 256) {
      this.all = new Map(this);
      return this.all.get(key);
    }
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.key(middle);
      if (found === key) {
        const value = this.value(middle);
        return this.isValue(value) ? value : undefined;
      }
      if (found < key) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** How many entries the file holds, well-formed or not (a malformed one makes the next save rewrite the file). */
  get size(): number {
    return this.count;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (let i = 0; i < this.count; i++) {
      const value = this.value(i);
      if (this.isValue(value)) yield [this.key(i), value];
    }
  }
}

/** A record's section (see ParseCache.record): its entries as one JSON text (JSON.parse takes a fraction of V8's deserializer's time over many small arrays). */
function recordOf(stored: unknown): Map<string, unknown> {
  if (stored instanceof Map) return stored as Map<string, unknown>;
  if (typeof stored !== "string") return new Map();
  try {
    const entries = JSON.parse(stored) as unknown;
    if (!Array.isArray(entries)) return new Map();
    const record = new Map<string, unknown>();
    for (const entry of entries as unknown[])
      if (Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string") record.set(entry[0], entry[1]);
    return record;
  } catch {
    return new Map();
  }
}

/**
 * The sections of the file: the survey facts, the file metadata (each a map: see PackedSection),
 * and each record (see ParseCache.record) under its name.
 */
const FILES = "facts";
const STATS = "metadata";
const RECORD = "record:";

/** Where a serialized value lies in the data region: offset and length. */
type Extent = [number, number];

/**
 * A cache file's payload (after the magic and the signature): the length of the header (4 bytes,
 * little-endian), the header (v8-serialized), then the data region, in which every section and
 * every entry is a v8-serialized value of its own, found through the header.
 */
interface CacheLayout {
  version: string;
  parser: string;
  /** The prefilter words the facts' bit masks are over. */
  words: readonly string[];
  sections: Map<string, Extent>;
  entries: Map<string, Extent>;
}

interface StoredCache {
  layout: CacheLayout;
  data: Uint8Array;
}

/** The layout of a verified payload, or undefined when it is another version's or malformed. */
function readLayout(payload: Buffer): StoredCache | undefined {
  try {
    if (payload.length < 4) return undefined;
    const length = payload.readUInt32LE(0);
    if (4 + length > payload.length) return undefined;
    const header = deserialize(payload.subarray(4, 4 + length)) as Partial<Record<keyof CacheLayout, unknown>>;
    if (header.version !== TOOL.version || header.parser !== PARSER) return undefined;
    const { words, sections, entries } = header;
    if (!Array.isArray(words) || !words.every((w) => typeof w === "string")) return undefined;
    if (!(sections instanceof Map) || !(entries instanceof Map)) return undefined;
    const data = payload.subarray(4 + length);
    const fits = (extent: unknown): extent is Extent =>
      Array.isArray(extent) &&
      extent.length === 2 &&
      extent.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) &&
      (extent[0] as number) + (extent[1] as number) <= data.length;
    const layout: CacheLayout = {
      version: TOOL.version,
      parser: PARSER,
      words,
      sections: new Map(),
      entries: new Map(),
    };
    for (const [from, to] of [
      [sections, layout.sections],
      [entries, layout.entries],
    ] as const)
      for (const [key, extent] of from as Map<unknown, unknown>)
        if (typeof key === "string" && fits(extent)) to.set(key, extent);
    return { layout, data };
  } catch {
    return undefined;
  }
}

function slice(stored: StoredCache, extent: Extent | undefined): Uint8Array | undefined {
  return extent && stored.data.subarray(extent[0], extent[0] + extent[1]);
}

/** Values kept by string key in the cache (see ParseCache.record). */
export interface CacheRecord {
  /** The value the file holds (what this run sets is for the next one). */
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /** The value this run set, else the one the file holds. */
  latest(key: string): unknown;
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
