import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { PACKAGE_ROOT } from "../package.js";
import type { ParseJob } from "./parse-worker.js";
import { outlineHcl, type FileOutline } from "./outline.js";
import { parseHclNative } from "./hcl-parser.js";
import { parseHclWasm, type ParseResult } from "./terraform-syntax.js";

/**
 * A parsed HCL file: the parse result and, when hcl2json parsed it (in a worker, where lexing is
 * worth doing in parallel), its outline (positions and comments). Files parsed natively are
 * outlined later, if ever: most are never asked for a position.
 */
export interface ParsedHcl {
  result: ParseResult;
  outline?: FileOutline;
}

/** Parses a file with hcl2json and outlines it (what a worker does for a file the native parser declined). */
export async function parseHclWasmWithOutline(text: string): Promise<ParsedHcl> {
  return withOutline(text, await parseHclWasm(text));
}

function withOutline(text: string, result: ParseResult): ParsedHcl {
  return result.ok ? { result, outline: outlineHcl(text) } : { result };
}

/** Batches of declined files at least this large are spread over every core; smaller ones go to one worker. */
const SPREAD_THRESHOLD = 48;

/**
 * Parses HCL: with keygate's own parser (`hcl-parser.ts`) on the calling thread, and with
 * hcl2json's WebAssembly parser on worker threads only for the files it declines (syntax errors,
 * whose diagnostics hcl2json words, and rare constructs). The WebAssembly module
 * takes a few hundred milliseconds to compile, so workers start only when first needed, and more
 * join for large batches. Results are identical either way (a differential test holds the two
 * parsers to the same output); under the test runner, whose sources a bare worker cannot load,
 * everything runs in-thread.
 */
export class ParserPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly failures = new Map<number, (error: Error) => void>();
  private nextId = 0;
  private readonly inThread = import.meta.url.endsWith(".ts");

  constructor(private readonly maxWorkers = availableParallelism()) {}

  /** Parses files: natively where it can, the rest spread over the workers. */
  async parse(texts: readonly string[], onProgress?: (done: number, total: number) => void): Promise<ParsedHcl[]> {
    let done = 0;
    const progress = () => onProgress?.(++done, texts.length);
    const results = new Array<ParsedHcl>(texts.length);
    const declined: number[] = [];
    texts.forEach((text, index) => {
      const body = parseHclNative(text);
      if (body === undefined) return declined.push(index);
      results[index] = { result: { ok: true, body } };
      progress();
    });
    if (declined.length === 0) return results;
    if (this.inThread) {
      for (const index of declined) {
        results[index] = await parseHclWasmWithOutline(texts[index]!);
        progress();
      }
      return results;
    }
    this.grow(declined.length >= SPREAD_THRESHOLD ? this.maxWorkers : 1);
    // Each worker takes the next file when it finishes one, so a slow file does not hold up a queue.
    let next = 0;
    await Promise.all(
      this.workers.map(async (worker) => {
        while (next < declined.length) {
          const index = declined[next++]!;
          results[index] = (await this.send(worker, { kind: "file", text: texts[index]! })) as ParsedHcl;
          progress();
        }
      }),
    );
    return results;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private send(worker: Worker, job: { kind: "file"; text: string }): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.failures.set(id, reject);
      worker.postMessage({ id, ...job } as ParseJob);
    });
  }

  private grow(size: number): void {
    while (this.workers.length < size) {
      const worker = new Worker(workerFile);
      worker.on("message", (message: { id: number; result: unknown }) => {
        this.failures.delete(message.id);
        this.pending.get(message.id)?.(message.result);
        this.pending.delete(message.id);
      });
      worker.on("error", (error) => {
        for (const [id, fail] of this.failures) {
          fail(error);
          this.pending.delete(id);
        }
        this.failures.clear();
      });
      this.workers.push(worker);
    }
  }
}

/** The workers' module: dist/load/parse-worker.js, or a self-contained bundle that is its own worker. */
let workerFile = join(PACKAGE_ROOT, "dist", "load", "parse-worker.js");

/** Makes the pool start its workers from this file (the Action's bundle, scripts/build-action.mjs). */
export function useParseWorkerFile(file: string): void {
  workerFile = file;
}

let shared: ParserPool | undefined;

/** The process's pool, made on first call; the CLI closes it when the command is done. */
export function sharedParserPool(): ParserPool {
  return (shared ??= new ParserPool());
}

/** Stops the shared pool's workers, if it was ever made. */
export async function closeSharedParserPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
