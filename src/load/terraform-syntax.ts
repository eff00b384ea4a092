import { parse as parseJsonText, printParseErrorCode, type ParseError } from "jsonc-parser";
import { parseHclNative } from "./hcl-parser.js";
import { hasRepeatedProperty, valueKeepingRepeats } from "./json-duplicates.js";
import { tooDeep } from "./nesting.js";
import { LineIndex } from "./positions.js";

/**
 * A Terraform file's content in the shape `@cdktf/hcl2json` returns: blocks are arrays of bodies
 * (`resource.aws_iam_user.deploy[0]`), attribute values are JSON values, and expressions are
 * strings holding `${…}` templates. `.tf.json` files are normalised into the same shape.
 */
export type TerraformBody = Record<string, unknown>;

/** A syntax problem at a 1-based position. */
export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

/** The result of parsing one file. */
export type ParseResult = { ok: true; body: TerraformBody } | { ok: false; problems: SyntaxProblem[] };

// The name handed to hcl2json only shows up in its diagnostics, which we take apart below.
const DIAGNOSTIC_NAME = "keygate-input.tf";
const DIAGNOSTIC = new RegExp(`${DIAGNOSTIC_NAME.replace(/\./g, "\\.")}:(\\d+),(\\d+)-(?:\\d+,)?\\d+: `, "g");
/** The name inside a diagnostic's text ("already set at keygate-input.tf:2,3-7"): the file's own name is the report's. */
const MENTION = new RegExp(`${DIAGNOSTIC_NAME.replace(/\./g, "\\.")}:(\\d+),(\\d+)(?:-(?:\\d+,)?\\d+)?`, "g");

/**
 * Parses native HCL syntax (`.tf`, `.tofu`, `.tfvars`): with keygate's own parser, which gives
 * hcl2json's output many times faster, or with hcl2json for what it declines (syntax errors, so
 * that their diagnostics are hcl2json's, and rare constructs).
 */
export async function parseHcl(text: string): Promise<ParseResult> {
  const deep = tooDeep(text);
  if (deep) return { ok: false, problems: [deep] };
  const body = parseHclNative(text);
  return body === undefined ? parseHclWasm(text) : { ok: true, body };
}

/** Parses native HCL syntax with hcl2json (WebAssembly). */
export async function parseHclWasm(text: string): Promise<ParseResult> {
  try {
    // Loaded on first use: most runs parse on worker threads, and the main thread need not pay for it.
    const { parse } = await import("@cdktf/hcl2json");
    return { ok: true, body: (await parse(DIAGNOSTIC_NAME, text)) as TerraformBody };
  } catch (error) {
    return { ok: false, problems: splitHclDiagnostics(String((error as Error).message ?? error)) };
  }
}

/**
 * hcl2json reports `parse config: [f.tf:2,7-3,1: Summary; Detail. f.tf:4,1-2: …]`; each diagnostic
 * becomes a problem with its position and a message without the Go prefix.
 */
export function splitHclDiagnostics(raw: string): SyntaxProblem[] {
  const inner = raw.replace(/^Error:\s*/, "").replace(/^parse config:\s*\[/, "").replace(/\]\s*$/, "");
  const starts = [...inner.matchAll(DIAGNOSTIC)];
  if (starts.length === 0) return [{ line: 1, column: 1, message: inner.trim() || "could not be parsed as HCL" }];
  const problems: SyntaxProblem[] = [];
  starts.forEach((match, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]!.index : inner.length;
    const text = inner.slice(match.index + match[0].length, end).trim().replace(MENTION, "line $1, column $2");
    const [summary, ...detail] = text.split("; ");
    const message = detail.length ? `${summary}: ${detail.join("; ")}` : (summary ?? text);
    problems.push({ line: Number(match[1]), column: Number(match[2]), message });
  });
  // hcl2json sometimes repeats a diagnostic for the same position; keep the first.
  return problems.filter((p, i) => problems.findIndex((q) => q.line === p.line && q.column === p.column && q.message === p.message) === i);
}

/** Parses JSON text strictly, with the position of the first error (1-based). */
export function parseJson(text: string, { comments = false }: { comments?: boolean } = {}): { ok: true; value: unknown } | { ok: false; problems: SyntaxProblem[] } {
  const deep = tooDeep(text);
  if (deep) return { ok: false, problems: [deep] };
  // The native parser is several times faster on large plans; the tolerant one only explains failures.
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // fall through for the position of the error
  }
  const errors: ParseError[] = [];
  const value = parseJsonText(text, errors, { disallowComments: !comments, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length === 0) return { ok: true, value };
  const lines = new LineIndex(text);
  const end = text.trimEnd().length;
  return {
    ok: false,
    problems: errors.slice(0, 1).map((e) => ({
      ...lines.position(e.offset),
      // An error at the very end means the text stops early: say so rather than what token was missing.
      message: `Invalid JSON: ${e.offset >= end ? "the text ends before the JSON is complete (truncated?)" : describeJsonError(printParseErrorCode(e.error))}`,
    })),
  };
}

/** Parses Terraform's JSON syntax (`.tf.json`) and normalises it to hcl2json's shape. */
export function parseTerraformJson(text: string): ParseResult {
  let parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  // JSON.parse keeps the last of repeated properties; HCL's JSON syntax keeps them all.
  if (hasRepeatedProperty(text)) {
    const kept = valueKeepingRepeats(text);
    if (kept.problems.length) return { ok: false, problems: kept.problems };
    parsed = { ok: true, value: kept.value };
  }
  if (!isObject(parsed.value)) {
    return { ok: false, problems: [{ line: 1, column: 1, message: "Invalid Terraform JSON: the top level must be an object" }] };
  }
  return { ok: true, body: normaliseTerraformJson(parsed.value) };
}

const LABELS_BY_BLOCK: Record<string, number> = {
  resource: 2,
  data: 2,
  ephemeral: 2,
  module: 1,
  variable: 1,
  output: 1,
  provider: 1,
  check: 1,
  locals: 0,
  terraform: 0,
  moved: 0,
  import: 0,
  removed: 0,
};

/** Terraform JSON writes a block as an object (or an array of objects) per label; hcl2json uses arrays of bodies. */
export function normaliseTerraformJson(root: Record<string, unknown>): TerraformBody {
  const out: TerraformBody = {};
  for (const [keyword, value] of Object.entries(root)) {
    if (keyword === "//") continue;
    const labels = LABELS_BY_BLOCK[keyword];
    out[keyword] = labels === undefined ? value : nest(value, labels);
  }
  return out;
}

function nest(value: unknown, labels: number): unknown {
  const items = Array.isArray(value) ? value : [value];
  if (labels === 0) return items.filter(isObject).map(withoutComments);
  const merged: Record<string, unknown> = {};
  for (const item of items) {
    if (!isObject(item)) continue;
    for (const [label, inner] of Object.entries(item)) {
      if (label === "//") continue;
      const existing = (merged[label] as unknown[] | Record<string, unknown> | undefined) ?? (labels === 1 ? [] : {});
      const next = nest(inner, labels - 1);
      merged[label] = Array.isArray(existing) ? [...existing, ...(next as unknown[])] : { ...existing, ...(next as object) };
    }
  }
  return merged;
}

function withoutComments(body: Record<string, unknown>): Record<string, unknown> {
  const { "//": _comment, ...rest } = body;
  return rest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJsonError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: "unexpected character",
    InvalidNumberFormat: "invalid number",
    PropertyNameExpected: "a property name in double quotes was expected",
    ValueExpected: "a value was expected",
    ColonExpected: "':' was expected",
    CommaExpected: "',' was expected",
    CloseBraceExpected: "'}' was expected (the text may be truncated)",
    CloseBracketExpected: "']' was expected (the text may be truncated)",
    EndOfFileExpected: "text after the end of the JSON value",
    InvalidCommentToken: "comments are not allowed in JSON",
    UnexpectedEndOfComment: "unterminated comment",
    UnexpectedEndOfString: "unterminated string (the text may be truncated)",
    UnexpectedEndOfNumber: "unterminated number",
    InvalidUnicode: "invalid unicode escape",
    InvalidEscapeCharacter: "invalid escape character",
    InvalidCharacter: "invalid character in string",
  };
  return words[code] ?? code;
}
