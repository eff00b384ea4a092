import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { PACKAGE_ROOT } from "../package.js";
import { outlineHcl, type FileOutline } from "./outline.js";
import { parseHclFile } from "./hcl-parser.js";
import { tooDeep } from "./nesting.js";
import { parseHclWasm, type ParseResult } from "./terraform-syntax.js";

/** A request to a parser worker: a whole HCL file that keygate's own parser declined. */
export type ParseJob = { id: number; kind: "file"; text: string };

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

/** hcl2json's time budget per file: this much, plus HCL2JSON_BUDGET_PER_MB_MS per megabyte. */
const HCL2JSON_BUDGET_MS = 10_000;
const HCL2JSON_BUDGET_PER_MB_MS = 1_000;

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
  /** The requests each worker has yet to answer. */
  private readonly byWorker = new Map<Worker, Set<number>>();
  private nextId = 0;
  private readonly inThread = import.meta.url.endsWith(".ts");

  constructor(
    private readonly maxWorkers = availableParallelism(),
    /** hcl2json's time budget per file (a test shortens it to see a file run out of time). */
    public budget = { baseMs: HCL2JSON_BUDGET_MS, perMbMs: HCL2JSON_BUDGET_PER_MB_MS },
  ) {}

  /** Parses files: natively where it can, the rest spread over the workers. */
  async parse(texts: readonly string[], onProgress?: (done: number, total: number) => void): Promise<ParsedHcl[]> {
    let done = 0;
    const progress = () => onProgress?.(++done, texts.length);
    const results = new Array<ParsedHcl>(texts.length);
    const declined: number[] = [];
    texts.forEach((text, index) => {
      // Too deep for any parser (see nesting.ts): an input error before either runs.
      const deep = tooDeep(text);
      if (deep) {
        results[index] = { result: { ok: false, problems: [deep] } };
        progress();
        return;
      }
      const body = parseHclFile(text);
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
      this.workers.map(async (_, lane) => {
        while (next < declined.length) {
          const index = declined[next++]!;
          results[index] = await this.parseInWorker(lane, texts[index]!);
          progress();
        }
      }),
    );
    return results;
  }

  /**
   * One declined file on a worker, under a time budget (hcl2json takes minutes on some inputs). A
   * worker that fails, crashes, cannot send its result back or runs out of time is replaced by a
   * fresh one (hcl2json's Go runtime may be left broken), and the file gets an input error.
   */
  private async parseInWorker(lane: number, text: string): Promise<ParsedHcl> {
    const worker = this.workers[lane]!;
    const budgetMs = this.budget.baseMs + Math.round(text.length / 1048576) * this.budget.perMbMs;
    try {
      return (await this.send(worker, { kind: "file", text }, budgetMs)) as ParsedHcl;
    } catch (error) {
      this.replace(worker);
      return { result: { ok: false, problems: [{ line: 1, column: 1, message: (error as Error).message }] } };
    }
  }

  /** Stops a worker and puts a fresh one in its place (pending requests on it fail). */
  private replace(worker: Worker): void {
    const lane = this.workers.indexOf(worker);
    if (lane === -1) return;
    this.failAll(worker, new Error("the parser's worker was restarted"));
    void worker.terminate();
    this.workers[lane] = this.spawn();
  }

  private failAll(worker: Worker, error: Error): void {
    for (const id of this.byWorker.get(worker) ?? []) {
      this.failures.get(id)?.(error);
      this.failures.delete(id);
      this.pending.delete(id);
    }
    this.byWorker.delete(worker);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private send(worker: Worker, job: { kind: "file"; text: string }, budgetMs?: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        budgetMs === undefined
          ? undefined
          : setTimeout(() => {
              reject(
                new Error(
                  `hcl2json, which parses what keygate's own parser declines, did not finish this file within ${budgetMs >= 1000 ? `${Math.round(budgetMs / 1000)} s` : `${budgetMs} ms`}: it is too large or too unusual to check. Simplify it, or exclude it`,
                ),
              );
              this.failures.delete(id);
              this.pending.delete(id);
              this.byWorker.get(worker)?.delete(id);
            }, budgetMs);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.failures.set(id, (error) => {
        clearTimeout(timer);
        reject(error);
      });
      let ids = this.byWorker.get(worker);
      if (!ids) this.byWorker.set(worker, (ids = new Set()));
      ids.add(id);
      worker.postMessage({ id, ...job });
    });
  }

  private grow(size: number): void {
    while (this.workers.length < size) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    // Loaded only now: most runs start no worker, and worker_threads costs every run a few milliseconds.
    const { Worker } = process.getBuiltinModule("node:worker_threads");
    const worker = new Worker(workerFile);
    worker.on("message", (message: { id: number; result: unknown }) => {
      this.byWorker.get(worker)?.delete(message.id);
      this.failures.delete(message.id);
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    });
    // A result too deep or too large to be cloned between threads never arrives as a message.
    worker.on("messageerror", () =>
      this.failAll(
        worker,
        new Error(
          "the parser's result for this file could not be passed between threads (nested too deeply, or too large): simplify the file, or exclude it",
        ),
      ),
    );
    worker.on("error", (error) =>
      this.failAll(worker, new Error(`the fallback parser (hcl2json) failed on this file: ${error.message}`)),
    );
    worker.on("exit", () =>
      this.failAll(worker, new Error("the fallback parser (hcl2json) stopped while parsing this file")),
    );
    return worker;
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
