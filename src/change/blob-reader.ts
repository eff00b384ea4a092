import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { SAFE_GIT_OPTIONS } from "../load/git.js";
import { gitEnvironment, GitError, startFailure } from "./git.js";

interface Request {
  oid: string;
  done: (bytes: Buffer) => void;
  fail: (error: Error) => void;
}

/**
 * Reads blobs through one long-lived `git cat-file --batch`, so that a snapshot of thousands of
 * files costs one process, not one per file. Requests are answered in the order they were sent.
 */
export class BlobReader {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: Request[] = [];
  private failure: Error | undefined;
  /** Bytes received but not yet handed out. */
  private pending: Buffer = Buffer.alloc(0);
  /** The blob being received: its buffer and how much of it is filled. */
  private body: { bytes: Buffer; filled: number } | undefined;

  constructor(private readonly cwd: string) {}

  /** The content of the blob `oid`. */
  read(oid: string): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const child = this.start();
    return new Promise((done, fail) => {
      this.queue.push({ oid, done, fail });
      child.stdin.write(`${oid}\n`);
    });
  }

  /** Ends the git process (pending reads are still answered). */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn("git", [...SAFE_GIT_OPTIONS, "cat-file", "--batch"], {
      cwd: this.cwd,
      env: gitEnvironment(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      this.failure = startFailure(error);
      this.failQueued(this.failure);
    });
    child.on("close", (code) => {
      // A process closed on purpose, after a new one was started, leaves the new one's state alone.
      if (this.child !== undefined && this.child !== child) return;
      this.child = undefined;
      this.pending = Buffer.alloc(0);
      this.body = undefined;
      this.failQueued(
        new GitError(`git cat-file ended early (exit code ${code ?? "?"}): ${stderr.trim() || "no message"}`),
      );
    });
    // A broken pipe shows up as the process ending; the write error itself adds nothing.
    child.stdin.on("error", () => {});
    this.child = child;
    return child;
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const request = this.queue[0];
      if (!request) return;
      if (!this.body) {
        const newline = this.pending.indexOf(0x0a);
        if (newline === -1) return;
        const header = this.pending.subarray(0, newline).toString("utf8");
        this.pending = this.pending.subarray(newline + 1);
        // "<oid> <type> <size>" or "<oid> missing"
        const [, type, size] = header.split(" ");
        if (type === "missing" || size === undefined) {
          this.queue.shift();
          request.fail(new GitError(`git object ${request.oid} is missing from the repository`));
          continue;
        }
        this.body = { bytes: Buffer.allocUnsafe(Number(size)), filled: 0 };
      }
      const body = this.body;
      const take = Math.min(body.bytes.length - body.filled, this.pending.length);
      this.pending.copy(body.bytes, body.filled, 0, take);
      body.filled += take;
      this.pending = this.pending.subarray(take);
      // The content is followed by a newline of its own.
      if (body.filled < body.bytes.length || this.pending.length < 1) return;
      this.pending = this.pending.subarray(1);
      this.body = undefined;
      this.queue.shift();
      request.done(body.bytes);
    }
  }

  private failQueued(error: Error): void {
    for (const request of this.queue.splice(0)) request.fail(error);
  }
}
