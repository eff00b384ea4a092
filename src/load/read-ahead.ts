import { constants } from "node:fs";
import type { Worker } from "node:worker_threads";

/**
 * Reads a survey's files ahead, on a second thread, while the calling thread decodes and skims the
 * ones before. A repository's survey makes four system calls per file (open, fstat, read, close) on
 * the thread that also skims them: for ten thousand files that is a fifth of a cold scan, and the
 * other core sits idle meanwhile. Here a worker takes the files in order, reads each regular file
 * into shared memory, and marks it read; the caller takes what is marked and reads the rest itself,
 * as before, so nothing ever waits for the worker: a worker that starts late, falls behind, runs out
 * of room or fails only leaves more for the caller. The worker reads only plain cases (a regular
 * file, opened without following a link, that fits); anything else — a link, a directory, a FIFO,
 * an error of any kind — is left to the caller's own read (see file-kind.ts), which refuses or
 * reports it exactly as it always has. The bytes are those a read by the caller would give, so
 * reports are the same whoever read a file (a test compares them).
 */
export interface ReadAhead {
  /** The bytes of the file at this index if the worker has read them (a view of shared memory), else undefined: read it yourself. */
  take(index: number): Uint8Array | undefined;
  /** Stops the worker (what it has not read is not needed any more). */
  stop(): void;
  /** Settles when the worker has ended: read every file it could, failed, or was stopped. */
  readonly finished: Promise<void>;
}

/** Below this many files, a thread costs more to start than it saves. */
export const READ_AHEAD_MIN_FILES = 512;

/** The shared memory for the files' bytes; files that no longer fit are read by the caller. */
const SPACE_BYTES = 64 << 20;

/**
 * A file's state, in the shared Int32Array: nobody's yet, being read by the worker, read by it,
 * taken by the caller, left by the worker to the caller (not a plain case, or no room left).
 */
const FREE = 0;
const READING = 1;
const READ = 2;
const TAKEN = 3;
const LEFT = 4;

/**
 * How long the caller waits at most for a file the worker is reading (it is done in well under a
 * millisecond; the limit only bounds a worker that stopped mid-file).
 */
const WAIT_MS = 20;

/**
 * The worker's code, evaluated as a script (no file to find, in the bundle, the Action's bundle or
 * under the test runner alike). It uses nothing but node:fs: what it reads is checked by the caller
 * (decoding, binary content, encodings) as any file it reads itself.
 */
const WORKER_SOURCE = `
const { workerData } = process.getBuiltinModule("node:worker_threads");
const { openSync, fstatSync, readSync, closeSync } = process.getBuiltinModule("node:fs");
const { paths, control, space, flags } = workerData;
const n = paths.length;
const state = new Int32Array(control, 0, n);
const spans = new Int32Array(control, 4 * n, 2 * n);
const bytes = new Uint8Array(space);
let offset = 0;
let full = false;
for (let i = 0; i < n; i++) {
  if (Atomics.compareExchange(state, i, ${FREE}, ${READING}) !== ${FREE}) continue;
  let fd = -1;
  let length = -1;
  try {
    fd = openSync(paths[i], flags);
    const info = fstatSync(fd);
    // Not a plain file, or no room left for it: the caller's to read (length stays -1).
    if (!info.isFile()) length = -1;
    else if (info.size > bytes.length - offset) full = true;
    else {
      length = 0;
      while (length < info.size) {
        const got = readSync(fd, bytes, offset + length, info.size - length, length);
        if (got === 0) break;
        length += got;
      }
    }
  } catch {
    length = -1;
  } finally {
    if (fd !== -1) try { closeSync(fd); } catch { length = -1; }
  }
  if (length >= 0) {
    spans[2 * i] = offset;
    spans[2 * i + 1] = length;
    offset += length;
  }
  // The caller may be waiting for this very file (see take).
  Atomics.store(state, i, length >= 0 ? ${READ} : ${LEFT});
  Atomics.notify(state, i);
  if (full) break;
}
`;

/**
 * Starts reading these files ahead (absolute paths, in the order the caller will ask for them), or
 * undefined where it is not worth it (few files) or not possible the same way (no O_NOFOLLOW: the
 * caller's reads check links with lstat, see file-kind.ts; no worker thread can be started).
 */
export function readAhead(paths: readonly string[]): ReadAhead | undefined {
  const noFollow = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW;
  if (paths.length < READ_AHEAD_MIN_FILES || noFollow === undefined) return undefined;
  const n = paths.length;
  const control = new SharedArrayBuffer(12 * n);
  const state = new Int32Array(control, 0, n);
  const spans = new Int32Array(control, 4 * n, 2 * n);
  const space = new SharedArrayBuffer(SPACE_BYTES);
  const bytes = new Uint8Array(space);
  let worker: Worker;
  try {
    // Loaded only now: a scan of a few files starts no reader, and worker_threads costs every run a few milliseconds.
    const { Worker } = process.getBuiltinModule("node:worker_threads");
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        paths,
        control,
        space,
        // As file-kind.ts opens: a FIFO must not block the open, and a link is not followed.
        flags: constants.O_RDONLY | constants.O_NONBLOCK | noFollow,
      },
    });
  } catch {
    return undefined;
  }
  // It must never keep the process alive, and one that fails only leaves its files to the caller.
  worker.unref();
  const finished = new Promise<void>((done) => {
    worker.on("error", () => done());
    worker.on("exit", () => done());
  });
  let stopped = false;
  return {
    finished,
    take(index) {
      if (stopped) return undefined;
      let now = Atomics.load(state, index);
      // Being read: waited for rather than read twice (a caller that has caught up with the worker would
      // otherwise read every other file itself, in step with it).
      if (now === READING) {
        Atomics.wait(state, index, READING, WAIT_MS);
        now = Atomics.load(state, index);
      }
      if (now === READ) {
        Atomics.store(state, index, TAKEN);
        const start = spans[2 * index]!;
        return bytes.subarray(start, start + spans[2 * index + 1]!);
      }
      // Not read yet (the caller reads it; the worker then passes it by), left to the caller, or (a worker that
      // stopped mid-file) still being read: read by the caller.
      if (now === FREE) Atomics.compareExchange(state, index, FREE, TAKEN);
      return undefined;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // Whatever it was reading is not wanted any more; claiming the rest makes it stop at once.
      for (let i = 0; i < n; i++) Atomics.compareExchange(state, i, FREE, TAKEN);
      void worker.terminate();
    },
  };
}
