import { basename, join, resolve } from "node:path";
import type { InputError } from "../findings.js";
import { displayPath } from "../load/discover.js";
import { readTextFile } from "../load/read.js";
import { jsonBody } from "../load/json-syntax.js";
import { parseJson, type ParseResult } from "../load/terraform-syntax.js";
import { workingTree, type SourceTree } from "../load/tree.js";
import type { VariableValue } from "./configuration.js";
import { constantValue } from "./written.js";

/** `--var NAME=VALUE` or `--var-file FILE`, as given on the command line. */
export type CliVariable = { kind: "var"; name: string; value: string } | { kind: "file"; path: string };

/** Values of root variables that do not come from the root module's own files. */
export interface VariableInputs {
  /** The environment: `TF_VAR_name` sets variable `name`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `--var` and `--var-file`, in command-line order (later ones win, as in Terraform). */
  cli?: readonly CliVariable[];
}

/** Parses HCL text (a `.tfvars` file) into keygate's syntax tree. */
export type HclParser = (text: string) => Promise<ParseResult>;

/**
 * Reads root variable values in Terraform's order of precedence ("Variable Definition Precedence"),
 * later sources overriding earlier ones: `TF_VAR_*` environment variables, `terraform.tfvars`,
 * `terraform.tfvars.json`, `*.auto.tfvars` and `*.auto.tfvars.json` in lexical order of their
 * names, then `--var` and `--var-file` in command-line order. Defaults come before all of them (the
 * evaluator falls back to them). Command-line and environment values apply to root modules only.
 */
export class VariableReader {
  private readonly cliFiles = new Map<string, Promise<{ values: Map<string, VariableValue>; errors: InputError[] }>>();
  /** `TF_VAR_*` values, sorted by name: read once (process.env is slow to enumerate, and there are many roots). */
  private readonly environment: [string, VariableValue][];
  /** The automatic variable files read for each root directory (name, and text when it could be read), for the scan's verdicts (see scan-verdicts.ts). */
  readonly automaticFiles = new Map<string, { name: string; text: string | undefined }[]>();

  constructor(
    private readonly inputs: VariableInputs,
    private readonly cwd: string,
    private readonly parse: HclParser,
  ) {
    this.environment = Object.entries(inputs.env ?? {})
      .filter(([key, value]) => key.startsWith("TF_VAR_") && key.length > "TF_VAR_".length && value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => [key.slice("TF_VAR_".length), { value: value!, raw: true, origin: key }]);
  }

  /** The values for the root module in `dir` (files read from `tree`), and the errors met reading them. */
  async rootValues(
    dir: string,
    tree: SourceTree,
  ): Promise<{ values: Map<string, VariableValue>; errors: InputError[] }> {
    const values = new Map<string, VariableValue>();
    const errors: InputError[] = [];
    for (const [name, value] of this.environment) values.set(name, { ...value });
    let names: string[] = [];
    try {
      names = await tree.files(dir);
    } catch {
      // Not a directory of this tree: nothing automatic to read.
    }
    const automatic = [
      ...names.filter((n) => n === "terraform.tfvars"),
      ...names.filter((n) => n === "terraform.tfvars.json"),
      ...names.filter((n) => /\.auto\.tfvars(\.json)?$/.test(n)).sort(),
    ];
    const read: { name: string; text: string | undefined }[] = [];
    this.automaticFiles.set(dir, read);
    for (const name of automatic) {
      const found = await this.readFile(join(dir, name), tree);
      read.push({ name, text: found.text });
      errors.push(...found.errors);
      found.values.forEach((v, k) => values.set(k, v));
    }
    for (const item of this.inputs.cli ?? []) {
      if (item.kind === "var") {
        values.set(item.name, { value: item.value, raw: true, origin: `--var ${item.name}` });
        continue;
      }
      // --var-file names a file on disk, relative to the working directory, whatever tree is scanned.
      const path = resolve(this.cwd, item.path);
      let cached = this.cliFiles.get(path);
      if (!cached) {
        cached = this.readFile(path, workingTree);
        this.cliFiles.set(path, cached);
      }
      const read = await cached;
      errors.push(...read.errors);
      read.values.forEach((v, k) => values.set(k, v));
    }
    return { values, errors };
  }

  private async readFile(
    path: string,
    tree: SourceTree,
  ): Promise<{ values: Map<string, VariableValue>; errors: InputError[]; text?: string }> {
    const file = displayPath(path, this.cwd);
    const values = new Map<string, VariableValue>();
    const read = await readTextFile(path, tree);
    if (!read.ok)
      return {
        values,
        errors: [{ file, ...(read.line ? { line: read.line, column: read.column } : {}), message: read.message }],
      };
    const parsed = path.endsWith(".json") ? parseJsonValues(read.text) : await this.parse(read.text);
    if (!parsed.ok)
      return {
        values,
        errors: parsed.problems.map((p) => ({ file, line: p.line, column: p.column, message: p.message })),
        text: read.text,
      };
    for (const attribute of parsed.body.attributes) {
      const constant = constantValue(attribute.value);
      const text = read.text;
      values.set(
        attribute.name,
        constant
          ? { value: constant.value, origin: basename(path) }
          : { value: null, expression: { value: attribute.value, text }, origin: basename(path) },
      );
    }
    return { values, errors: [], text: read.text };
  }
}

function parseJsonValues(text: string): ParseResult {
  // A .tfvars.json is an object of values, not Terraform's block syntax: every property is an attribute.
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return {
      ok: false,
      problems: [
        { line: 1, column: 1, message: "Invalid variables file: the top level must be an object of variable values" },
      ],
    };
  }
  return jsonBody(text, new Map());
}

/** Parses `NAME=VALUE` of `--var`; undefined when there is no `=` or no name. */
export function parseCliVariable(text: string): CliVariable | undefined {
  const eq = text.indexOf("=");
  if (eq <= 0) return undefined;
  const name = text.slice(0, eq).trim();
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? { kind: "var", name, value: text.slice(eq + 1) } : undefined;
}
