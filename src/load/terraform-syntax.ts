import { parse as parseJsonText, printParseErrorCode, type ParseError } from "jsonc-parser";
import { parseHclFile } from "./hcl-parser.js";
import type { Body } from "./hcl-syntax.js";
import { jsonBody, TERRAFORM_BLOCK_LABELS } from "./json-syntax.js";
import { tooDeep } from "./nesting.js";
import { LineIndex, utf16Column, type SyntaxProblem } from "./positions.js";

export type { SyntaxProblem } from "./positions.js";

/** The result of parsing one file. */
export type ParseResult = { ok: true; body: Body } | { ok: false; problems: SyntaxProblem[] };

// The name handed to hcl2json only shows up in its diagnostics, which we take apart below.
const DIAGNOSTIC_NAME = "keygate-input.tf";
const DIAGNOSTIC = new RegExp(`${DIAGNOSTIC_NAME.replace(/\./g, "\\.")}:(\\d+),(\\d+)-(?:\\d+,)?\\d+: `, "g");
/** The name inside a diagnostic's text ("already set at keygate-input.tf:2,3-7"): the file's own name is the report's. */
const MENTION = new RegExp(`${DIAGNOSTIC_NAME.replace(/\./g, "\\.")}:(\\d+),(\\d+)(?:-(?:\\d+,)?\\d+)?`, "g");

/**
 * Parses native HCL syntax (`.tf`, `.tofu`, `.tfvars`) into keygate's syntax tree: with keygate's
 * own parser, or with hcl2json for what it declines (syntax errors, so that their diagnostics are
 * hcl2json's, and rare constructs).
 */
export async function parseHcl(text: string): Promise<ParseResult> {
  const deep = tooDeep(text);
  if (deep) return { ok: false, problems: [deep] };
  const body = parseHclFile(text);
  return body === undefined ? parseHclWasm(text) : { ok: true, body };
}

/**
 * Parses native HCL syntax with hcl2json (WebAssembly), for a file keygate's parser declined. Its
 * JSON (blocks nested by labels, expressions as `${…}` templates) is read as Terraform's JSON
 * syntax reads: into the same tree, but without ranges (they would be offsets into hcl2json's JSON).
 */
export async function parseHclWasm(text: string): Promise<ParseResult> {
  try {
    // Loaded on first use: most runs parse on worker threads, and the main thread need not pay for it.
    const { parse } = await import("@cdktf/hcl2json");
    const value: unknown = await parse(DIAGNOSTIC_NAME, text);
    const body = jsonBody(JSON.stringify(value), TERRAFORM_BLOCK_LABELS, { ranges: false });
    return body.ok ? body : { ok: false, problems: [{ line: 1, column: 1, message: "could not be read as HCL" }] };
  } catch (error) {
    return { ok: false, problems: splitHclDiagnostics(error instanceof Error ? error.message : String(error), text) };
  }
}

/**
 * hcl2json reports `parse config: [f.tf:2,7-3,1: Summary; Detail. f.tf:4,1-2: …]`; each diagnostic
 * becomes a problem with its position and a message without the Go prefix. Its columns count
 * characters, as HCL does; with the parsed `text`, they become UTF-16 columns, as every report's.
 */
export function splitHclDiagnostics(raw: string, text?: string): SyntaxProblem[] {
  const column = (line: number, hclColumn: number) =>
    text === undefined ? hclColumn : utf16Column(text, line, hclColumn);
  const inner = raw
    .replace(/^Error:\s*/, "")
    .replace(/^parse config:\s*\[/, "")
    .replace(/\]\s*$/, "");
  const starts = [...inner.matchAll(DIAGNOSTIC)];
  if (starts.length === 0) return [{ line: 1, column: 1, message: inner.trim() || "could not be parsed as HCL" }];
  const problems: SyntaxProblem[] = [];
  starts.forEach((match, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]!.index : inner.length;
    // One line per problem: hcl2json's details run over several lines ("…extra characters.\nThis can happen when…").
    const text = inner
      .slice(match.index + match[0].length, end)
      .trim()
      .replace(MENTION, (_m, line: string, col: string) => `line ${line}, column ${column(+line, +col)}`)
      .replace(/\s*\n\s*/g, " ");
    const [summary, ...detail] = text.split("; ");
    const message = detail.length ? `${summary}: ${detail.join("; ")}` : (summary ?? text);
    problems.push({ line: Number(match[1]), column: column(Number(match[1]), Number(match[2])), message });
  });
  // hcl2json sometimes repeats a diagnostic for the same position; keep the first.
  return problems.filter(
    (p, i) => problems.findIndex((q) => q.line === p.line && q.column === p.column && q.message === p.message) === i,
  );
}

/** Parses JSON text strictly, with the position of the first error (1-based). */
export function parseJson(
  text: string,
  { comments = false }: { comments?: boolean } = {},
): { ok: true; value: unknown } | { ok: false; problems: SyntaxProblem[] } {
  const deep = tooDeep(text);
  if (deep) return { ok: false, problems: [deep] };
  // The native parser is several times faster on large plans; the tolerant one only explains failures.
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // fall through for the position of the error
  }
  const errors: ParseError[] = [];
  const value: unknown = parseJsonText(text, errors, {
    disallowComments: !comments,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
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

/** Parses Terraform's JSON syntax (`.tf.json`, `.tofu.json`) into keygate's syntax tree (see json-syntax.ts). */
export function parseTerraformJson(text: string): ParseResult {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return {
      ok: false,
      problems: [{ line: 1, column: 1, message: "Invalid Terraform JSON: the top level must be an object" }],
    };
  }
  return jsonBody(text, TERRAFORM_BLOCK_LABELS);
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
