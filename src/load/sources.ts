import { join } from "node:path";
import type { InputError } from "../findings.js";
import { displayPath, isTerraformFile } from "./discover.js";
import { outlineHcl, outlineTfJson, type FileOutline } from "./outline.js";
import { surveyHcl, type Skeleton, type Survey } from "./prefilter.js";
import { readTextFile } from "./read.js";
import { workingTree, type SourceTree } from "./tree.js";
import type { Body } from "./hcl-syntax.js";
import { parseHcl, parseTerraformJson, type ParseResult } from "./terraform-syntax.js";

/** One Terraform source file, read, parsed and outlined. */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** Path as reports show it (relative to the working directory, `/` separators). */
  file: string;
  syntax: "hcl" | "json";
  text: string;
  /** Its syntax tree, whichever syntax it is written in. */
  body: Body;
  outline: FileOutline;
  /**
   * For a file that was not parsed (see prefilter.ts), how its skeleton was taken: from its block
   * headers alone ("plain": resources and data sources only) or from the lexer's outline.
   */
  skeleton?: "plain" | "outlined";
  /** For a plain skeleton: whether its text contains a word (undefined: not known without reading it). */
  mentions?: (word: string) => boolean | undefined;
}

/** A source file, or the errors that kept it from being read. */
export type SourceResult = { ok: true; source: SourceFile } | { ok: false; errors: InputError[] };

/** Reads, parses and outlines one Terraform file; failures become errors located in the file. */
export async function readSourceFile(path: string, cwd: string, tree: SourceTree = workingTree): Promise<SourceResult> {
  const read = await readTextFile(path, tree);
  if (!read.ok) return { ok: false, errors: [readError(path, cwd, read)] };
  const parsed = path.endsWith(".json") ? parseTerraformJson(read.text) : await parseHcl(read.text);
  return sourceFromParse(path, cwd, read.text, parsed);
}

/** The error for a file that could not be read or decoded. */
export function readError(
  path: string,
  cwd: string,
  read: { message: string; line?: number; column?: number },
): InputError {
  return {
    file: displayPath(path, cwd),
    ...(read.line ? { line: read.line, column: read.column } : {}),
    message: read.message,
  };
}

/** A source file from its text and its parse result (computed here, in a worker, or taken from the cache). */
export function sourceFromParse(
  path: string,
  cwd: string,
  text: string,
  parsed: ParseResult,
  outlined?: FileOutline,
): SourceResult {
  const file = displayPath(path, cwd);
  if (!parsed.ok)
    return {
      ok: false,
      errors: parsed.problems.map((p) => ({ file, line: p.line, column: p.column, message: p.message })),
    };
  const syntax = path.endsWith(".json") ? "json" : "hcl";
  if (outlined) return { ok: true, source: { path, file, syntax, text, body: parsed.body, outline: outlined } };
  return { ok: true, source: new ParsedSource(path, file, syntax, text, parsed.body) };
}

/** A parsed file, outlined when first needed: a finding's location, a suppression comment; most files need neither. */
class ParsedSource implements SourceFile {
  private outlined: FileOutline | undefined;
  constructor(
    readonly path: string,
    readonly file: string,
    readonly syntax: "hcl" | "json",
    readonly text: string,
    readonly body: Body,
  ) {}

  get outline(): FileOutline {
    return (this.outlined ??= this.syntax === "json" ? outlineTfJson(this.text) : outlineHcl(this.text));
  }
}

/**
 * A file that is not parsed (see `prefilter.ts`): only the blocks it declares, built when first
 * looked at; null when the file must be parsed. `survey` is the file's, when already taken.
 */
export function skeletonSource(
  path: string,
  cwd: string,
  text: string,
  survey: Survey = surveyHcl(text),
): SourceFile | null {
  if (!survey.wellFormed || !survey.skeleton) return null;
  return new SkeletonSource(
    path,
    displayPath(path, cwd),
    text,
    survey.skeleton,
    survey.outlined ? "outlined" : "plain",
  );
}

/**
 * The skeleton of a file whose survey was deferred (see prefilter.ts's surveyHcl): a plain one,
 * provisionally, for a module that is only assembled. The loader takes the survey before anything
 * else is asked of the file (see ModuleLoader.settle); if its blocks are looked at before, they
 * are taken from the survey then, and a file that turns out to have none to give is a bug.
 */
export function provisionalSkeletonSource(path: string, cwd: string, text: string, survey: Survey): SourceFile {
  const parts: Skeleton = {
    get body() {
      return taken().body;
    },
    get outline() {
      return taken().outline;
    },
  };
  const taken = () => {
    if (!survey.wellFormed || !survey.skeleton)
      throw new Error(`keygate looked at the blocks of ${path} before surveying it (a bug)`);
    return survey.skeleton;
  };
  return new SkeletonSource(path, displayPath(path, cwd), text, parts, "plain");
}

/** A file that is not parsed, as a source file (a class: one is made for almost every file of a repository). */
class SkeletonSource implements SourceFile {
  readonly syntax = "hcl";
  constructor(
    readonly path: string,
    readonly file: string,
    readonly text: string,
    private readonly parts: Skeleton,
    readonly skeleton: "plain" | "outlined",
  ) {}

  get body(): Body {
    return this.parts.body;
  }

  get outline(): FileOutline {
    return this.parts.outline;
  }

  mentions(word: string): boolean {
    return this.text.includes(word);
  }
}

/**
 * The Terraform files that make up the module in `dir` (not recursive). OpenTofu reads
 * `name.tofu` instead of `name.tf` (and `.tofu.json` instead of `.tf.json`) when both exist.
 */
export async function listModuleFiles(dir: string, tree: SourceTree = workingTree): Promise<string[]> {
  const names = (await tree.files(dir)).filter(isTerraformFile);
  return preferTofu(names)
    .map((name) => join(dir, name))
    .sort();
}

/** Drops `x.tf` / `x.tf.json` where `x.tofu` / `x.tofu.json` exists beside it, as OpenTofu does. */
export function preferTofu(paths: readonly string[]): string[] {
  const present = new Set(paths);
  return paths.filter((p) => {
    if (p.endsWith(".tf")) return !present.has(`${p.slice(0, -3)}.tofu`);
    if (p.endsWith(".tf.json")) return !present.has(`${p.slice(0, -8)}.tofu.json`);
    return true;
  });
}
