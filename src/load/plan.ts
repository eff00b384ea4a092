import type { InputError } from "../findings.js";
import { displayPath } from "./discover.js";
import { decodeText, readTextFile } from "./read.js";
import { LineIndex } from "./positions.js";
import { parseJson } from "./terraform-syntax.js";
import { describeSchemaErrors, lazySchema } from "./validate.js";

/** An expression in a plan's `configuration`: constants and the references it makes. */
export interface PlanExpression {
  constant_value?: unknown;
  references?: string[];
}

/** A resource block in a plan's `configuration` (no instance keys). */
export interface PlanConfigResource {
  address: string;
  mode?: "managed" | "data";
  type?: string;
  name?: string;
  expressions?: Record<string, unknown>; // PlanExpression or a nested block's expressions
  for_each_expression?: PlanExpression;
  count_expression?: PlanExpression;
}

/** A module call in a plan's `configuration`. */
export interface PlanModuleCall {
  source?: string;
  expressions?: Record<string, unknown>; // PlanExpression or a nested block's expressions
  for_each_expression?: PlanExpression;
  count_expression?: PlanExpression;
  module?: PlanConfigModule;
}

/** A module in a plan's `configuration`; references inside it are relative to it. */
export interface PlanConfigModule {
  resources?: PlanConfigResource[];
  outputs?: Record<string, { expression?: PlanExpression }>;
  module_calls?: Record<string, PlanModuleCall>;
}

/** One entry of `resource_changes`. */
export interface ResourceChange {
  address: string;
  module_address?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: string | number;
  deposed?: string;
  previous_address?: string;
  change: {
    actions: string[];
    after?: Record<string, unknown> | null;
    after_unknown?: Record<string, unknown> | boolean;
  };
}

/** The parts of `terraform show -json PLANFILE` keygate reads (validated by `schemas/plan.schema.json`). */
export interface PlanDocument {
  format_version: string;
  errored?: boolean;
  resource_changes: ResourceChange[];
  configuration?: { root_module?: PlanConfigModule };
}

/** A plan read from a file or stdin. */
export interface PlanFile {
  /** Absolute path, or "-" for stdin. */
  path: string;
  /** As reports show it. */
  file: string;
  text: string;
  plan: PlanDocument;
}

/** The plan format versions keygate understands: every 0.x and 1.x (minor versions only add fields). */
const SUPPORTED_MAJORS = new Set(["0", "1"]);

const planSchema = lazySchema<PlanDocument>("plan.schema.json");

/** The name a plan read from standard input has in reports. */
export const STDIN_NAME = "<stdin>";

/**
 * Reads a plan from a JSON file (or "-" for stdin) and checks that it is a plan keygate can trust:
 * not a state, not a binary plan, not truncated, of a known format version. An `errored` plan is
 * returned together with an error, since its content is incomplete.
 */
export async function readPlanFile(
  path: string,
  cwd: string,
  readStdin: () => Promise<Uint8Array>,
): Promise<{ plan?: PlanFile; errors: InputError[] }> {
  const file = path === "-" ? STDIN_NAME : displayPath(path, cwd);
  const read =
    path === "-"
      ? decodeText(await readStdin(), { bom: "decode" })
      : await readTextFile(path, undefined, { bom: "decode" });
  if (!read.ok)
    return {
      errors: [{ file, ...(read.line ? { line: read.line, column: read.column } : {}), message: read.message }],
    };
  const text = read.text;
  if (text.trim() === "")
    return { errors: [{ file, message: "the file is empty: expected the output of `terraform show -json tfplan`" }] };
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const p = parsed.problems[0]!;
    return {
      errors: [
        {
          file,
          line: p.line,
          column: p.column,
          message: `${p.message}; expected the output of \`terraform show -json tfplan\``,
        },
      ],
    };
  }
  const kind = classifyJson(parsed.value);
  if (kind !== "plan") return { errors: [{ file, message: NOT_A_PLAN[kind] }] };
  const document = parsed.value as Record<string, unknown>;
  const version = String(document.format_version);
  if (!SUPPORTED_MAJORS.has(version.split(".")[0] ?? "")) {
    return {
      errors: [
        {
          file,
          message: `plan format_version ${version} is not supported: keygate reads format versions 0.1 to 1.x. Upgrade keygate, or produce the plan with a Terraform or OpenTofu release it supports`,
        },
      ],
    };
  }
  // A plan without changes may leave out resource_changes altogether.
  const candidate = { ...document, resource_changes: document.resource_changes ?? [] };
  const validatePlan = planSchema();
  if (!validatePlan(candidate)) {
    return {
      errors: [
        {
          file,
          message: `not a valid Terraform plan: ${describeSchemaErrors(validatePlan.errors).slice(0, 3).join(" ")}`,
        },
      ],
    };
  }
  const errors: InputError[] = [];
  if (candidate.errored) {
    errors.push({
      file,
      message:
        "the plan is marked errored: terraform plan failed part-way, so it does not list everything the change creates. Fix the plan's errors and check the complete plan",
    });
  }
  return { plan: { path, file, text, plan: candidate }, errors };
}

type JsonKind = "plan" | "state" | "configuration" | "other";

const NOT_A_PLAN: Record<Exclude<JsonKind, "plan">, string> = {
  state:
    "this is a Terraform state (`terraform show -json` without a plan file), not a plan: save a plan with `terraform plan -out tfplan` and convert it with `terraform show -json tfplan > tfplan.json`",
  configuration:
    "this is Terraform configuration in JSON syntax, which Terraform only reads from files named `*.tf.json`: rename the file, or pass a plan (`terraform show -json tfplan`)",
  other:
    "neither a Terraform plan (`terraform show -json tfplan`) nor Terraform configuration: keygate reads plans and .tf / .tf.json / .tofu files",
};

/** Tells a plan from a state, a configuration in JSON syntax, or something else. */
export function classifyJson(value: unknown): JsonKind {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "other";
  const v = value as Record<string, unknown>;
  if ("format_version" in v && ("resource_changes" in v || "planned_values" in v)) return "plan";
  if ("format_version" in v && "values" in v) return "state";
  if (["resource", "module", "data", "variable", "output", "provider", "terraform", "locals"].some((k) => k in v))
    return "configuration";
  return "other";
}

/**
 * Finds where each resource change stands in the plan's text (its `"address"` property inside
 * `resource_changes`), so that findings point at a line and column of the JSON.
 */
export function locateResourceChanges(
  text: string,
  addresses: readonly string[],
): Map<string, { line: number; column: number; endLine: number; endColumn: number }> {
  const located = new Map<string, { line: number; column: number; endLine: number; endColumn: number }>();
  const start = text.search(/"resource_changes"\s*:/);
  if (start === -1) return located;
  const lines = new LineIndex(text);
  for (const address of addresses) {
    const pattern = new RegExp(`"address"\\s*:\\s*${escapeRegExp(JSON.stringify(address))}`, "g");
    pattern.lastIndex = start;
    const match = pattern.exec(text);
    if (!match) continue;
    const from = lines.position(match.index);
    const to = lines.position(match.index + match[0].length);
    located.set(address, { line: from.line, column: from.column, endLine: to.line, endColumn: to.column });
  }
  return located;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
