import { join } from "node:path";
import type { InputError } from "../findings.js";
import { displayPath, isTerraformFile } from "./discover.js";
import { outlineHcl, outlineTfJson, type FileOutline } from "./outline.js";
import { readTextFile } from "./read.js";
import { workingTree, type SourceTree } from "./tree.js";
import { parseHcl, parseJson, parseTerraformJson, type ParseResult, type TerraformBody } from "./terraform-syntax.js";

/** One Terraform source file, read, parsed and outlined. */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** Path as reports show it (relative to the working directory, `/` separators). */
  file: string;
  syntax: "hcl" | "json";
  text: string;
  body: TerraformBody;
  outline: FileOutline;
}

/** A source file, or the errors that kept it from being read. */
export type SourceResult = { ok: true; source: SourceFile } | { ok: false; errors: InputError[] };

/** Reads, parses and outlines one Terraform file; failures become errors located in the file. */
export async function readSourceFile(path: string, cwd: string, tree: SourceTree = workingTree): Promise<SourceResult> {
  const file = displayPath(path, cwd);
  const read = await readTextFile(path, tree);
  if (!read.ok) return { ok: false, errors: [{ file, ...(read.line ? { line: read.line, column: read.column } : {}), message: read.message }] };
  const syntax = path.endsWith(".json") ? "json" : "hcl";
  const parsed: ParseResult = syntax === "json" ? parseTerraformJson(read.text) : await parseHcl(read.text);
  if (!parsed.ok) {
    return { ok: false, errors: parsed.problems.map((p) => ({ file, line: p.line, column: p.column, message: p.message })) };
  }
  const outline = syntax === "json" ? outlineTfJson(read.text) : outlineHcl(read.text);
  return { ok: true, source: { path, file, syntax, text: read.text, body: parsed.body, outline } };
}

/**
 * The Terraform files that make up the module in `dir` (not recursive). OpenTofu reads
 * `name.tofu` instead of `name.tf` (and `.tofu.json` instead of `.tf.json`) when both exist.
 */
export async function listModuleFiles(dir: string, tree: SourceTree = workingTree): Promise<string[]> {
  const names = (await tree.files(dir)).filter(isTerraformFile);
  return preferTofu(names).map((name) => join(dir, name)).sort();
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

/** Variable values from `terraform.tfvars`, `terraform.tfvars.json` and `*.auto.tfvars(.json)` of a root module, in Terraform's order. */
export interface VariableValues {
  values: Map<string, unknown>;
  errors: InputError[];
}

/** Reads a root module's automatic variable files; later files override earlier ones as in Terraform. */
export async function readAutoVariableFiles(dir: string, cwd: string, tree: SourceTree = workingTree): Promise<VariableValues> {
  let names: string[];
  try {
    names = await tree.files(dir);
  } catch {
    return { values: new Map(), errors: [] };
  }
  const ordered = [
    ...names.filter((n) => n === "terraform.tfvars"),
    ...names.filter((n) => n === "terraform.tfvars.json"),
    ...names.filter((n) => /\.auto\.tfvars(\.json)?$/.test(n)).sort(),
  ];
  const values = new Map<string, unknown>();
  const errors: InputError[] = [];
  for (const name of ordered) {
    const path = join(dir, name);
    const file = displayPath(path, cwd);
    const read = await readTextFile(path, tree);
    if (!read.ok) {
      errors.push({ file, message: read.message });
      continue;
    }
    const parsed = name.endsWith(".json") ? parseTerraformJsonValues(read.text) : await parseHcl(read.text);
    if (!parsed.ok) {
      errors.push(...parsed.problems.map((p) => ({ file, line: p.line, column: p.column, message: p.message })));
      continue;
    }
    for (const [key, value] of Object.entries(parsed.body)) values.set(key, value);
  }
  return { values, errors };
}

function parseTerraformJsonValues(text: string): ParseResult {
  // A .tfvars.json is a plain object of values, not Terraform's block syntax: no normalisation.
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return { ok: false, problems: [{ line: 1, column: 1, message: "Invalid variables file: the top level must be an object of variable values" }] };
  }
  return { ok: true, body: parsed.value as TerraformBody };
}
