import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { AJV_OPTIONS } from "../../src/load/validate.js";

/**
 * The published schemas of keygate's JSON outputs (schemas/), compiled once. Tests check every
 * JSON report they see against them: runCli does for each run that prints one.
 */
const SCHEMAS = join(import.meta.dirname, "..", "..", "schemas");
const compiled = new Map<string, ValidateFunction>();

function validator(name: string): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    validate = new Ajv(AJV_OPTIONS).compile(JSON.parse(readFileSync(join(SCHEMAS, name), "utf8")) as object);
    compiled.set(name, validate);
  }
  return validate;
}

/** Throws, naming every problem, unless `value` is valid against schemas/NAME. */
export function assertMatchesSchema(
  name: "report.schema.json" | "gitlab-codequality.schema.json",
  value: unknown,
): void {
  const validate = validator(name);
  if (!validate(value))
    throw new Error(`not valid against schemas/${name}: ${JSON.stringify(validate.errors, null, 2)}`);
}

/** Checks a report printed by keygate, if it is one of the JSON formats (the JSON report, GitLab Code Quality). */
export function checkPrintedReport(text: string): void {
  if (!/^[[{]/.test(text)) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return;
  }
  if (
    value &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    (value as { version?: unknown }).version === 1 &&
    "findings" in value
  )
    assertMatchesSchema("report.schema.json", value);
  else if (Array.isArray(value) && value.every((v) => v && typeof v === "object" && "check_name" in v))
    assertMatchesSchema("gitlab-codequality.schema.json", value);
}
