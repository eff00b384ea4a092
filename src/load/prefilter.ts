import { outlineHcl, type BlockOutline, type FileOutline } from "./outline.js";
import type { TerraformBody } from "./terraform-syntax.js";

/**
 * Decides, from a file's text alone, whether it must be parsed. hcl2json parses well under a
 * megabyte a second, so in a large repository most of the time would go to files that cannot
 * matter: resources of unrelated types. Such a file is read, checked for broken structure, and
 * reduced to a skeleton (the resource and data blocks it declares), which is all the model needs of
 * it. The rules never change a verdict (a test runs every example and fixture both ways).
 */
export interface Prefilter {
  /** Whether the file must be parsed, for a module that only needs its calls ("graph") or everything ("full"). */
  mustParse(text: string, mode: "graph" | "full"): boolean;
  /** Whether a configuration containing this file can matter at all (module calls to registries are judged apart). */
  canMatter(text: string): boolean;
}

/**
 * Words of blocks an evaluation may need (variables, locals, outputs, renames, module calls) or
 * that carry suppression comments, besides the policies' resource types.
 */
const MODEL_WORDS = ["variable", "locals", "output", "moved", "module", "keygate:ignore"];

/** The prefilter for a set of policies: their resource types are what makes a file matter. */
export function prefilterFor(policies: readonly { subject: { type: string }; target: { type: string }; aggravating: { type: string }[] }[]): Prefilter {
  const types = [...new Set(policies.flatMap((p) => [p.subject.type, p.target.type, ...p.aggravating.map((a) => a.type)]))];
  const full = [...MODEL_WORDS, ...types];
  return {
    // A module that only shapes the configuration needs no parse: its skeleton has the calls.
    mustParse: (text, mode) => mode === "full" && full.some((word) => text.includes(word)),
    // Users matter without keys too: a change-aware scan needs to know that a user existed before.
    canMatter: (text) => types.some((type) => text.includes(type)),
  };
}

const HEADER = /^[ \t]*(resource|data)[ \t]+"([^"\n]+)"[ \t]+"([^"\n]+)"[ \t]*\{/gm;

/**
 * The skeleton of a file that is not parsed: the resource and data blocks it declares (with empty
 * bodies), its module calls (with their source only) and its comments, in hcl2json's shape and as
 * an outline. Null when a module call's source is not a plain string (then the file is parsed).
 */
export function skeletonOf(text: string): { body: TerraformBody; outline: FileOutline } | null {
  if (text.includes("module") || text.includes("keygate:ignore")) return outlinedSkeleton(text);
  return headerSkeleton(text);
}

/** The skeleton from the outline (the lexer): exact, for files with module calls or comments that matter. */
function outlinedSkeleton(text: string): { body: TerraformBody; outline: FileOutline } | null {
  const outline = outlineHcl(text);
  const body: Record<string, Record<string, unknown>> = { resource: {}, data: {}, module: {} };
  for (const block of outline.blocks) {
    if ((block.keyword === "resource" || block.keyword === "data") && block.labels.length === 2) {
      const byType = (body[block.keyword]![block.labels[0]!] ??= {}) as Record<string, object[]>;
      (byType[block.labels[1]!] ??= []).push({});
    } else if (block.keyword === "module" && block.labels.length === 1) {
      const source = block.attributes.source ? stringLiteral(sliceSpan(text, block.attributes.source)) : undefined;
      if (source === null) return null;
      ((body.module![block.labels[0]!] ??= []) as object[]).push(source === undefined ? {} : { source });
    }
  }
  return { body, outline };
}

/** The value of `name = "literal"`, undefined without a value, null when it is not a plain string. */
function stringLiteral(attribute: string): string | undefined | null {
  const match = /=\s*("(?:[^"\\$%]|\\.)*")\s*$/s.exec(attribute);
  if (!match) return null;
  try {
    return JSON.parse(match[1]!) as string;
  } catch {
    return null;
  }
}

function sliceSpan(text: string, span: { start: { line: number; column: number }; end: { line: number; column: number } }): string {
  const lines = text.split("\n").slice(span.start.line - 1, span.end.line);
  if (lines.length === 0) return "";
  lines[lines.length - 1] = lines[lines.length - 1]!.slice(0, span.end.column - 1);
  lines[0] = lines[0]!.slice(span.start.column - 1);
  return lines.join("\n");
}

/** The skeleton from block headers alone: a quick look for files of resources only. */
function headerSkeleton(text: string): { body: TerraformBody; outline: FileOutline } {
  const body: Record<"resource" | "data", Record<string, Record<string, object[]>>> = { resource: {}, data: {} };
  const blocks: BlockOutline[] = [];
  // Lines are counted from one header to the next, not for the whole file: most files hold few headers.
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  for (const match of text.matchAll(HEADER)) {
    const [, keyword, type, name] = match as unknown as [string, "resource" | "data", string, string];
    const offset = match.index + match[0].indexOf(keyword);
    for (let i = text.indexOf("\n", counted); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
      line++;
      lineStart = i + 1;
    }
    counted = offset;
    const start = { line, column: offset - lineStart + 1 };
    const end = { line, column: match.index + match[0].length - lineStart + 1 };
    ((body[keyword][type] ??= {})[name] ??= []).push({});
    blocks.push({ keyword, labels: [type, name], header: { start, end }, span: { start, end }, attributes: {} });
  }
  return { body: { resource: body.resource, data: body.data }, outline: { blocks, comments: [] } };
}

/**
 * A fast check of a file's structure — braces, brackets, parentheses, strings, heredocs, comments,
 * merge-conflict markers — for files that are not parsed. It is not a parser: a file it passes may
 * still hold an invalid expression, but a truncated or mangled file does not pass. A file that
 * fails it is parsed, so that the real error, with its position, is reported.
 */
export function looksWellFormed(text: string): boolean {
  const closers: number[] = [];
  const n = text.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (lineStart && (text.startsWith("<<<<<<<", i) || text.startsWith(">>>>>>>", i) || text.startsWith("=======", i))) return false;
    lineStart = false;
    switch (c) {
      case 10: // \n
        lineStart = true;
        i++;
        break;
      case 35: // #
        i = endOfLine(text, i);
        break;
      case 47: // /
        if (text.charCodeAt(i + 1) === 47) i = endOfLine(text, i);
        else if (text.charCodeAt(i + 1) === 42) {
          const end = text.indexOf("*/", i + 2);
          if (end === -1) return false;
          i = end + 2;
        } else i++;
        break;
      case 34: {
        // A quoted string ends on its line; its interpolations may nest braces and strings.
        const end = endOfString(text, i + 1);
        if (end === -1) return false;
        i = end;
        break;
      }
      case 60: // <<EOF heredoc
        if (text.charCodeAt(i + 1) === 60 && closers.length > 0) {
          const end = endOfHeredoc(text, i);
          if (end === -1) return false;
          i = end;
          lineStart = true;
        } else i++;
        break;
      case 123: // {
        closers.push(125);
        i++;
        break;
      case 91: // [
        closers.push(93);
        i++;
        break;
      case 40: // (
        closers.push(41);
        i++;
        break;
      case 125:
      case 93:
      case 41:
        if (closers.pop() !== c) return false;
        i++;
        break;
      default:
        i++;
    }
  }
  return closers.length === 0;
}

function endOfLine(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end === -1 ? text.length : end;
}

/** Index just past the closing quote of a string whose body starts at `from`, or -1. */
function endOfString(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      i++;
      continue;
    }
    if (c === 10 && depth === 0) return -1;
    if ((c === 36 || c === 37) && text.charCodeAt(i + 1) === 123 && text.charCodeAt(i - 1) !== c) {
      depth++;
      i++;
      continue;
    }
    if (depth > 0) {
      if (c === 125) depth--;
      else if (c === 123) depth++;
      else if (c === 34) {
        const inner = endOfString(text, i + 1);
        if (inner === -1) return -1;
        i = inner - 1;
      }
      continue;
    }
    if (c === 34) return i + 1;
  }
  return -1;
}

/** Index just past a heredoc's closing marker line, or -1 when the marker never comes. */
function endOfHeredoc(text: string, at: number): number {
  const match = /^<<(-?)([A-Za-z_][\w-]*)[ \t]*\r?\n/.exec(text.slice(at, at + 256));
  if (!match) return at + 2;
  const marker = match[2]!;
  let line = at + match[0].length;
  while (line < text.length) {
    const end = endOfLine(text, line);
    if (text.slice(line, end).trim() === marker) return end;
    line = end + 1;
  }
  return -1;
}
