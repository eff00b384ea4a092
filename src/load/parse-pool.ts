import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ParseJob } from "./parse-worker.js";
import { outlineHcl, type FileOutline } from "./outline.js";
import { parseHcl, type ParseResult } from "./terraform-syntax.js";

/** A parsed HCL file: the parse result and, when it parsed, its outline (positions and comments). */
export interface ParsedHcl {
  result: ParseResult;
  outline?: FileOutline;
}

/** Parses a file and outlines it, in whichever thread runs it: the outline's lexing is worth parallel cores too. */
export async function parseHclWithOutline(text: string): Promise<ParsedHcl> {
  const result = await parseHcl(text);
  return result.ok ? { result, outline: outlineHcl(text) } : { result };
}

/** Batches at least this large are spread over every core; smaller ones go to the first worker. */
const SPREAD_THRESHOLD = 48;

/**
 * hcl2json's parser (files and expressions) on worker threads. Its WebAssembly module takes about
 * half a second to compile and start, so the first worker starts as soon as the pool is made —
 * while the main thread discovers and reads files — and more join for large batches. The main
 * thread never loads the parser itself. Results are identical to parsing in-thread (the same
 * functions run); under the test runner, whose sources a bare worker cannot load, it parses
 * in-thread.
 */
export class ParserPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly failures = new Map<number, (error: Error) => void>();
  private nextId = 0;
  private readonly inThread = import.meta.url.endsWith(".ts");

  constructor(private readonly maxWorkers = availableParallelism()) {
    if (!this.inThread) this.grow(1);
  }

  /** Parses files, spread over the workers when the batch is large. */
  async parse(texts: readonly string[], onProgress?: (done: number, total: number) => void): Promise<ParsedHcl[]> {
    let done = 0;
    const progress = () => onProgress?.(++done, texts.length);
    if (this.inThread) {
      const results: ParsedHcl[] = [];
      for (const text of texts) {
        results.push(await parseHclWithOutline(text));
        progress();
      }
      return results;
    }
    if (texts.length >= SPREAD_THRESHOLD) this.grow(this.maxWorkers);
    // Each worker takes the next file when it finishes one, so a slow file does not hold up a queue.
    const results = new Array<ParsedHcl>(texts.length);
    let next = 0;
    await Promise.all(
      this.workers.map(async (worker) => {
        while (next < texts.length) {
          const index = next++;
          results[index] = (await this.send(worker, { kind: "file", text: texts[index]! })) as ParsedHcl;
          progress();
        }
      }),
    );
    return results;
  }

  /** The syntax tree of one expression (null when it does not parse). */
  async expression(source: string): Promise<unknown> {
    if (this.inThread) {
      const { getExpressionAst } = await import("@cdktf/hcl2json");
      return getExpressionAst("expression.tf", source).catch(() => null);
    }
    // Spread over the workers that are up: expression requests come many at a time.
    return this.send(this.workers[this.nextId % this.workers.length]!, { kind: "expression", text: source });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private send(worker: Worker, job: { kind: "file" | "expression"; text: string }): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.failures.set(id, reject);
      worker.postMessage({ id, ...job } as ParseJob);
    });
  }

  private grow(size: number): void {
    while (this.workers.length < size) {
      const worker = new Worker(new URL("./parse-worker.js", import.meta.url));
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
      // Start the WebAssembly parser now rather than on the first real file.
      worker.postMessage({ id: -1, kind: "file", text: "" } satisfies ParseJob);
      this.workers.push(worker);
    }
  }
}

let shared: ParserPool | undefined;

/**
 * The process's pool, made on first call. The CLI calls this before anything else, so that the
 * parser's WebAssembly starts on its worker while the main thread is still loading modules and
 * reading the config; it closes it when the command is done.
 */
export function sharedParserPool(): ParserPool {
  return (shared ??= new ParserPool());
}

/** Stops the shared pool's workers, if it was ever made. */
export async function closeSharedParserPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
