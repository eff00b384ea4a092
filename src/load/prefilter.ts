import type { Comment } from "./hcl-lexer.js";
import { parseHclFile } from "./hcl-parser.js";
import { skimHcl, skimHclPlain, type BlockHeader } from "./hcl-skim.js";
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

/** The prefilter for a set of policies: the resource types their checks read are what makes a file matter. */
export function prefilterFor(policies: readonly { reads: { types: readonly string[] } }[]): Prefilter {
  const types = [...new Set(policies.flatMap((p) => p.reads.types))];
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
 * Checks a file's structure and takes its skeleton: from the lexer's skim, which notes the block
 * headers (this runs on every file of a repository, parsed or not), or from the parser, for files
 * with module calls or suppression comments.
 */
export function surveyHcl(text: string, defer = false): Survey {
  if (text.includes("module") || text.includes("keygate:ignore")) {
    const wellFormed = looksWellFormed(text);
    return { wellFormed, skeleton: wellFormed ? outlinedSkeleton(text) : null, outlined: true };
  }
  if (defer) return new DeferredSurvey(text);
  const { wellFormed, plainHeaders } = skimHclPlain(text);
  if (!wellFormed || !plainHeaders) return { wellFormed, skeleton: null, outlined: false };
  return { wellFormed, outlined: false, skeleton: new HeaderSkeleton(text) };
}

/**
 * The survey of a file that declares no module call (its text does not contain `module`) nor
 * suppression comment, taken when first looked at: a change-aware scan needs nothing of such a
 * file in a configuration it does not check (see ModuleLoader's deferred surveys).
 */
class DeferredSurvey implements Survey {
  readonly outlined = false;
  private taken: Survey | undefined;
  constructor(private readonly text: string) {}

  /** Whether the file has been skimmed. */
  get settled(): boolean {
    return this.taken !== undefined;
  }

  get wellFormed(): boolean {
    return this.take().wellFormed;
  }

  get skeleton(): Skeleton | null {
    return this.take().skeleton;
  }

  private take(): Survey {
    return (this.taken ??= surveyHcl(this.text));
  }
}

/** Whether a survey was deferred (see surveyHcl) and not taken yet. */
export function isDeferred(survey: Survey | undefined): boolean {
  return survey instanceof DeferredSurvey && !survey.settled;
}

/**
 * A skeleton from the block headers of a file whose survey found them all plain, built on first
 * access (a class: thousands are made). The headers are listed then, by the same skim: keeping
 * them from the survey would keep a few objects per header of every file for the whole run.
 */
class HeaderSkeleton implements Skeleton {
  private built: Skeleton | undefined;
  constructor(private readonly text: string) {}

  get body(): Body {
    return this.parts().body;
  }

  get outline(): FileOutline {
    return this.parts().outline;
  }

  private parts(): Skeleton {
    if (!this.built) {
      const { headers } = skimHcl(this.text, { headers: true });
      // The same text skims the same way: the survey found every header plain.
      if (!headers) throw new Error("keygate's skim of a file's block headers gave two answers (a bug)");
      this.built = headerSkeleton(this.text, headers);
    }
    return this.built;
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

/** The skeleton from the block headers alone: for files of resources only. */
function headerSkeleton(text: string, headers: BlockHeader[]): Skeleton {
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
 * A fast check of a file's structure, for files that are not parsed: the lexer's skim (see
 * hcl-skim.ts). A file it passes may still hold an invalid expression, but a truncated or mangled
 * file does not pass; a file that fails it is parsed, so that the real error, with its position, is
 * reported.
 */
export function looksWellFormed(text: string): boolean {
  return skimHcl(text).wellFormed;
}
