import { isAscii } from "node:buffer";
import type { Stats } from "node:fs";
import { readRegularFile } from "./file-kind.js";
import { workingTree, type SourceTree } from "./tree.js";
import type { ReadResult } from "./read-result.js";
import { decodeWideJson } from "./unicode.js";

export type { ReadResult } from "./read-result.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads a Terraform source or JSON input as UTF-8 text. Directories, unreadable files, binary
 * content, UTF-16 and invalid UTF-8 are refused with a message that says what to do; a UTF-8 byte
 * order mark is dropped (the decoder strips it), so columns on line 1 stay right.
 */
export async function readTextFile(
  path: string,
  tree: SourceTree = workingTree,
  options: DecodeOptions = {},
): Promise<ReadResult> {
  let bytes: Uint8Array;
  try {
    bytes = await tree.read(path);
  } catch (error) {
    return { ok: false, message: describeReadError(error as NodeJS.ErrnoException) };
  }
  return decodeText(bytes, options);
}

/** How a byte order mark is treated: see {@link decodeText}. */
export interface DecodeOptions {
  bom?: "strip" | "reject" | "decode";
}

/** Where {@link readWorkingTreeText} reads files into: one buffer for all, so that thousands of reads allocate nothing but their text. */
let scratch: Buffer | undefined;

/** {@link readTextFile} for the working tree, synchronously (for the thousands of files of a survey); `opened` is shown the file's metadata. */
export function readWorkingTreeText(path: string, opened?: (info: Stats) => void): ReadResult {
  let bytes: Uint8Array;
  try {
    scratch ??= Buffer.allocUnsafe(1 << 20);
    // Files under a megabyte go through the one buffer; larger ones get their own.
    bytes = readRegularFile(path, scratch, opened);
  } catch (error) {
    return { ok: false, message: describeReadError(error as NodeJS.ErrnoException) };
  }
  return decodeText(bytes);
}

/**
 * Decodes bytes read from a file or stdin with the same checks as {@link readTextFile}. A UTF-8 byte
 * order mark is dropped, as HCL does, unless `bom: "reject"` (JSON tools refuse it). `bom: "decode"`
 * (a plan re-encoded by Windows PowerShell) also reads UTF-16 and UTF-32 JSON, with or without a mark.
 */
export function decodeText(bytes: Uint8Array, options: DecodeOptions = {}): ReadResult {
  if (options.bom === "decode") {
    const wide = decodeWideJson(bytes);
    if (wide) return wide;
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      ok: false,
      message:
        "the file is UTF-16 encoded; Terraform reads UTF-8 only. Re-save it as UTF-8 (for a plan: `terraform show -json tfplan > tfplan.json` in a shell that writes UTF-8, not PowerShell's `>`)",
    };
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return {
      ok: false,
      message:
        "the file is a zip archive (a binary Terraform plan?), not text. For a plan, convert it first: `terraform show -json tfplan > tfplan.json`",
    };
  }
  if (options.bom === "reject" && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return {
      ok: false,
      message:
        "the file starts with a UTF-8 byte order mark, which Terraform never writes: the plan was re-encoded (PowerShell's Out-File does this). Write it again without one, e.g. `terraform show -json tfplan > tfplan.json` in a POSIX shell or `Out-File -Encoding utf8NoBOM`",
    };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1)
    return {
      ok: false,
      message: `the file is binary (a NUL byte at offset ${nul}), not Terraform text`,
      ...bytePosition(bytes, nul),
    };
  // Most Terraform is ASCII, which is its own UTF-8: copied into a one-byte string without decoding.
  if (isAscii(bytes))
    return { ok: true, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1") };
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes);
    return {
      ok: false,
      message: `the file is not valid UTF-8 (byte 0x${(bytes[offset] ?? 0).toString(16)} at offset ${offset}); Terraform reads UTF-8 only: re-save the file as UTF-8`,
      ...bytePosition(bytes, offset),
    };
  }
}

function describeReadError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied: keygate cannot read this file";
    case "ENOTREG":
    case "ELINKOUT":
    case "EFBIG":
      return error.message;
    default:
      return `cannot be read: ${error.message}`;
  }
}

/** Offset of the first byte that breaks UTF-8, for the error message (the decoder does not say). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const extra =
      b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (extra < 0) return i;
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += extra + 1;
  }
  return bytes.length;
}

/**
 * 1-based line and column of a byte offset, for errors found before decoding; the column counts the
 * UTF-16 code units of the line's text before it, as every report does.
 */
function bytePosition(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1 };
}

/** Reads this process's standard input to its end (a plan or credential report given as "-"). */
export async function readStandardInput(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
