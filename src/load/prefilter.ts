import { heredocIntroducer, lineIsMarker, type Comment } from "./hcl-lexer.js";
import { parseHclFile } from "./hcl-parser.js";
import type { Block, Body } from "./hcl-syntax.js";
import { outlineOfBody, type BlockOutline, type FileOutline } from "./outline.js";

/**
 * Decides, from the words a file's text contains, whether it must be parsed. In a large repository
 * most files cannot matter (resources of unrelated types), and parsing and modelling them would cost
 * many times more than a look at their structure: such a file is read, checked for broken
 * structure, and reduced to a skeleton (the resource and data blocks it declares), which is all the
 * model needs of it. The rules never change a verdict (a test runs every example and fixture both
 * ways).
 */
export interface Prefilter {
  /** Every word the rules look for: what {@link Mentions} is asked about. */
  readonly words: readonly string[];
  /** Whether the file must be parsed, for a module that only needs its calls ("graph") or everything ("full"). */
  mustParse(mentions: Mentions, mode: "graph" | "full"): boolean;
  /** Whether a configuration containing this file can matter at all (module calls to registries are judged apart). */
  canMatter(mentions: Mentions): boolean;
}

/** Whether a file's text contains a word (from its text, or remembered from an earlier run). */
export type Mentions = (word: string) => boolean;

/** The {@link Mentions} of a text. */
export function mentionsIn(text: string): Mentions {
  return (word) => text.includes(word);
}

/**
 * Words of blocks an evaluation may need (variables, locals, outputs, renames, module calls, imports) or
 * that carry suppression comments, besides the policies' resource types.
 */
const MODEL_WORDS = ["variable", "locals", "output", "moved", "module", "import", "keygate:ignore"];

/** The prefilter for a set of policies: their resource types are what makes a file matter. */
export function prefilterFor(
  policies: readonly { subject: { type: string }; target: { type: string }; aggravating: { type: string }[] }[],
): Prefilter {
  const types = [
    ...new Set(policies.flatMap((p) => [p.subject.type, p.target.type, ...p.aggravating.map((a) => a.type)])),
  ];
  const full = [...MODEL_WORDS, ...types];
  return {
    words: full,
    // A module that only shapes the configuration needs no parse: its skeleton has the calls.
    mustParse: (mentions, mode) => mode === "full" && full.some(mentions),
    // Users matter without keys too: a change-aware scan needs to know that a user existed before.
    canMatter: (mentions) => types.some(mentions),
  };
}

/** What a file that is not parsed contributes to the model: the blocks it declares, as a syntax tree and as an outline. */
export interface Skeleton {
  body: Body;
  outline: FileOutline;
}

/** A file that is not parsed: whether its structure looks sound, and its skeleton when it has one. */
export interface Survey {
  /** See {@link looksWellFormed}. */
  wellFormed: boolean;
  /**
   * Null when the file cannot be reduced to a skeleton and must be parsed (see {@link skeletonOf}).
   * Its objects are built on first access: most skeletons are never looked at (their configuration
   * cannot matter), and building them for every file of a large repository is most of the cost.
   */
  skeleton: Skeleton | null;
  /** Whether the skeleton comes from the lexer's outline (files with module calls or suppression comments) rather than the block headers. */
  outlined: boolean;
}

/**
 * Checks a file's structure and takes its skeleton in one pass over the text (the lexer's outline
 * instead, for files with module calls or suppression comments): this runs on every file of a
 * repository, parsed or not.
 */
export function surveyHcl(text: string): Survey {
  if (text.includes("module") || text.includes("keygate:ignore")) {
    const wellFormed = scanStructure(text, null);
    return { wellFormed, skeleton: wellFormed ? outlinedSkeleton(text) : null, outlined: true };
  }
  const headers: Header[] = [];
  const wellFormed = scanStructure(text, headers);
  if (!wellFormed || headers.some((h) => h.end < 0)) return { wellFormed, skeleton: null, outlined: false };
  return { wellFormed, outlined: false, skeleton: new HeaderSkeleton(text, headers) };
}

/** A skeleton from the block headers the survey found, built on first access (a class: thousands are made). */
class HeaderSkeleton implements Skeleton {
  private built: Skeleton | undefined;
  constructor(
    private readonly text: string,
    private readonly headers: Header[],
  ) {}

  get body(): Body {
    return (this.built ??= headerSkeleton(this.text, this.headers)).body;
  }

  get outline(): FileOutline {
    return (this.built ??= headerSkeleton(this.text, this.headers)).outline;
  }
}

/**
 * The skeleton of a file that is not parsed: the resource and data blocks it declares (with empty
 * bodies), its module calls (with their source only) and its comments. Null when it cannot be
 * taken from the text alone — a module call's source that is not a plain string, a block header
 * that is not `resource "type" "name" {` on one line — or when the file is not well formed; such
 * files are parsed.
 */
export function skeletonOf(text: string): Skeleton | null {
  return surveyHcl(text).skeleton;
}

/**
 * The skeleton from keygate's parser: exact, for files with module calls or comments that matter:
 * resource and data blocks with empty bodies, module calls with their `source` only. Null when the
 * file is not valid HCL: it is parsed, and its error reported.
 */
function outlinedSkeleton(text: string): Skeleton | null {
  const comments: Comment[] = [];
  const parsed = parseHclFile(text, { comments, repeatedAttributes: true });
  if (!parsed) return null;
  const blocks: Block[] = [];
  for (const block of parsed.blocks) {
    if ((block.type === "resource" || block.type === "data") && block.labels.length === 2)
      blocks.push({ ...block, body: { attributes: [], blocks: [] } });
    else if (block.type === "module" && block.labels.length === 1)
      blocks.push({
        ...block,
        body: { attributes: block.body.attributes.filter((a) => a.name === "source"), blocks: [] },
      });
  }
  return { body: { attributes: [], blocks }, outline: outlineOfBody(text, parsed, comments) };
}

/** A top-level `resource "type" "name" {` or `data "type" "name" {` header found by the structure scan. */
interface Header {
  keyword: "resource" | "data";
  type: string;
  name: string;
  /** Offsets of the keyword and just past the `{`. */
  start: number;
  end: number;
}

/** The skeleton from the block headers alone: for files of resources only. */
function headerSkeleton(text: string, headers: Header[]): Skeleton {
  const body: Body = { attributes: [], blocks: [] };
  const blocks: BlockOutline[] = [];
  // Lines are counted from one header to the next, not for the whole file: most files hold few headers.
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  for (const header of headers) {
    for (let i = text.indexOf("\n", counted); i !== -1 && i < header.start; i = text.indexOf("\n", i + 1)) {
      line++;
      lineStart = i + 1;
    }
    counted = header.start;
    const start = { line, column: header.start - lineStart + 1 };
    const end = { line, column: header.end - lineStart + 1 };
    body.blocks.push({
      type: header.keyword,
      labels: [header.type, header.name],
      body: { attributes: [], blocks: [] },
      start: header.start,
      headerEnd: header.end,
      end: header.end,
    });
    blocks.push({
      keyword: header.keyword,
      labels: [header.type, header.name],
      header: { start, end },
      span: { start, end },
      attributes: {},
    });
  }
  return { body, outline: { blocks, comments: [] } };
}

/**
 * A fast check of a file's structure — braces, brackets, parentheses, strings, heredocs, comments,
 * merge-conflict markers — for files that are not parsed. It is not a parser: a file it passes may
 * still hold an invalid expression, but a truncated or mangled file does not pass. A file that
 * fails it is parsed, so that the real error, with its position, is reported.
 */
export function looksWellFormed(text: string): boolean {
  return scanStructure(text, null);
}

/**
 * The structure scan behind {@link looksWellFormed}. With `headers`, it also collects the top-level
 * `resource`/`data` block headers (a header it cannot read plainly is recorded with `end: -1`).
 */
function scanStructure(text: string, headers: Header[] | null): boolean {
  const closers: number[] = [];
  const n = text.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (lineStart) {
      // Only blanks so far on this line: a merge-conflict marker, or a top-level block header.
      if (c === 32 || c === 9 || c === 13) {
        i++;
        continue;
      }
      lineStart = false;
      if ((c === 60 || c === 62 || c === 61) && isConflictMarker(text, i, c)) return false;
      if (headers && closers.length === 0 && (c === 114 || c === 100)) {
        const header = blockHeader(text, i);
        if (header) {
          headers.push(header);
          if (header.end > 0) {
            closers.push(125);
            i = header.end;
            continue;
          }
        }
      }
    }
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

/** Seven `<`, `>` or `=` at the start of a line: git's conflict markers. */
function isConflictMarker(text: string, at: number, c: number): boolean {
  for (let k = 1; k < 7; k++) if (text.charCodeAt(at + k) !== c) return false;
  return true;
}

/**
 * `resource "type" "name" {` (or `data …`) on one line at `at`; undefined when the line does not
 * start with either keyword, `end: -1` when it does but the header is not that plain.
 */
function blockHeader(text: string, at: number): Header | undefined {
  const keyword = text.startsWith("resource", at) ? "resource" : text.startsWith("data", at) ? "data" : undefined;
  if (!keyword) return undefined;
  let i = at + keyword.length;
  const next = text.charCodeAt(i);
  // `resources = …`, `data_x {`: another word.
  if (next !== 32 && next !== 9 && next !== 34)
    return isWordChar(next) ? undefined : { keyword, type: "", name: "", start: at, end: -1 };
  const labels: string[] = [];
  for (let k = 0; k < 2; k++) {
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    if (text.charCodeAt(i) !== 34) return { keyword, type: "", name: "", start: at, end: -1 };
    let j = i + 1;
    for (let c = text.charCodeAt(j); c !== 34; c = text.charCodeAt(++j)) {
      if (c === 10 || c === 92 || c === 36 || c === 37 || Number.isNaN(c))
        return { keyword, type: "", name: "", start: at, end: -1 };
    }
    if (j === i + 1) return { keyword, type: "", name: "", start: at, end: -1 };
    labels.push(text.slice(i + 1, j));
    i = j + 1;
  }
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
  if (text.charCodeAt(i) !== 123) return { keyword, type: "", name: "", start: at, end: -1 };
  return { keyword, type: labels[0]!, name: labels[1]!, start: at, end: i + 1 };
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
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

/** Index just past a heredoc's closing marker line (read as the lexer reads heredocs), or -1 when the marker never comes. */
function endOfHeredoc(text: string, at: number): number {
  const intro = heredocIntroducer(text, at);
  if (!intro) return at + 2;
  let line = intro.end;
  while (line < text.length) {
    const end = endOfLine(text, line);
    if (lineIsMarker(text, line, end, intro.marker)) return end;
    line = end + 1;
  }
  return -1;
}
