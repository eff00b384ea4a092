import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { PACKAGE_ROOT } from "../package.js";

const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, strictRequired: false });

/**
 * A validator for one of the package's schemas (`schemas/NAME`), compiled on first use: compiling
 * costs tens of milliseconds, which a run that never reads such a document should not pay.
 */
export function lazySchema<T>(name: string): () => ValidateFunction<T> {
  let compiled: ValidateFunction<T> | undefined;
  return () => (compiled ??= compileSchema<T>(JSON.parse(readFileSync(join(PACKAGE_ROOT, "schemas", name), "utf8")) as object));
}

/** Compiles a JSON Schema once; the validator is reused for every document. */
export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

/**
 * Turns ajv errors into sentences a person can act on, in ESLint's manner:
 * `Key "policies": Key "KG001": Value "high" must be one of "error", "warning", "info", "off".`
 */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  if (!errors?.length) return [];
  const messages = new Set<string>();
  for (const error of errors) {
    // anyOf/oneOf wrappers repeat what their branches already said.
    if (error.keyword === "anyOf" || error.keyword === "oneOf" || error.keyword === "if") continue;
    messages.add(`${keyPath(error.instancePath)}${describeError(error)}`);
  }
  return [...messages];
}

function keyPath(instancePath: string): string {
  if (!instancePath) return "";
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => `Key "${part.replace(/~1/g, "/").replace(/~0/g, "~")}": `)
    .join("");
}

function describeError(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "enum":
      return `Value ${JSON.stringify(error.data)} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}.`;
    case "const":
      return `Value ${JSON.stringify(error.data)} must be ${JSON.stringify(p.allowedValue)}.`;
    case "type":
      return `Expected a value of type ${String(p.type).replace(/,/g, " or ")} but got ${typeName(error.data)}.`;
    case "required":
      return `Missing required key "${String(p.missingProperty)}".`;
    case "additionalProperties":
      return `Unexpected key "${String(p.additionalProperty)}".`;
    case "pattern":
      return `Value ${JSON.stringify(error.data)} does not match the expected form ${String(p.pattern)}.`;
    case "format":
      return `Value ${JSON.stringify(error.data)} is not a valid ${String(p.format)}.`;
    default:
      return `${error.message ?? "is invalid"}.`.replace(/^./, (c) => c.toUpperCase());
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
