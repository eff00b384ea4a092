import type { ReadResult } from "./read-result.js";

/** A Unicode encoding other than UTF-8 that a JSON input can be told apart in. */
type WideEncoding = "UTF-16LE" | "UTF-16BE" | "UTF-32LE" | "UTF-32BE";

/**
 * Decodes JSON text written in UTF-16 or UTF-32, as Windows PowerShell 5.1's `>` and `Out-File`
 * write it (UTF-16LE with a byte order mark). The encoding is taken from the byte order mark or,
 * without one, from the pattern of zero bytes around the first character, which in JSON is always
 * ASCII (RFC 4627, section 3). Returns undefined for anything else (UTF-8, with or without a
 * BOM, is left to the UTF-8 decoder), and an error for text that is not valid in its encoding.
 */
export function decodeWideJson(bytes: Uint8Array): ReadResult | undefined {
  const detected = detect(bytes);
  if (!detected) return undefined;
  const { encoding, bom } = detected;
  const unit = encoding.startsWith("UTF-16") ? 2 : 4;
  const body = bytes.subarray(bom);
  if (body.length % unit !== 0) {
    return {
      ok: false,
      message: `the file is ${encoding} encoded but ends in the middle of a character (${body.length % unit} stray byte${body.length % unit === 1 ? "" : "s"}): it is truncated`,
    };
  }
  const littleEndian = encoding.endsWith("LE");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: string[] = [];
  let line = 1;
  let column = 1;
  const invalid = (offset: number) => ({
    ok: false as const,
    message: `the file is not valid ${encoding} (an invalid character at byte offset ${bom + offset}): re-save it, or write the plan again with \`terraform show -json tfplan\``,
    line,
    column,
  });
  if (unit === 2) {
    for (let i = 0; i < body.length; i += 2) {
      const code = view.getUint16(i, littleEndian);
      if (code >= 0xd800 && code <= 0xdbff) {
        const low = i + 2 < body.length ? view.getUint16(i + 2, littleEndian) : -1;
        if (low < 0xdc00 || low > 0xdfff) return invalid(i);
        parts.push(String.fromCharCode(code, low));
        i += 2;
        column += 2;
        continue;
      }
      if (code >= 0xdc00 && code <= 0xdfff) return invalid(i);
      parts.push(String.fromCharCode(code));
      if (code === 0x0a) [line, column] = [line + 1, 1];
      else column += 1;
    }
  } else {
    for (let i = 0; i < body.length; i += 4) {
      const code = view.getUint32(i, littleEndian);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return invalid(i);
      const char = String.fromCodePoint(code);
      parts.push(char);
      if (code === 0x0a) [line, column] = [line + 1, 1];
      else column += char.length;
    }
  }
  return { ok: true, text: parts.join("") };
}

function detect(bytes: Uint8Array): { encoding: WideEncoding; bom: number } | undefined {
  const [a, b, c, d] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  // UTF-32LE's mark begins with UTF-16LE's: test it first.
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return { encoding: "UTF-32LE", bom: 4 };
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return { encoding: "UTF-32BE", bom: 4 };
  if (a === 0xff && b === 0xfe) return { encoding: "UTF-16LE", bom: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: "UTF-16BE", bom: 2 };
  if (bytes.length < 4 || a === undefined || b === undefined || c === undefined || d === undefined) return undefined;
  // No mark: JSON's first character is ASCII, so its zero bytes tell the encoding (RFC 4627).
  if (a === 0 && b === 0 && c === 0 && d !== 0) return { encoding: "UTF-32BE", bom: 0 };
  if (a !== 0 && b === 0 && c === 0 && d === 0) return { encoding: "UTF-32LE", bom: 0 };
  if (a === 0 && b !== 0 && c === 0) return { encoding: "UTF-16BE", bom: 0 };
  if (a !== 0 && b === 0 && d === 0) return { encoding: "UTF-16LE", bom: 0 };
  return undefined;
}
