import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import { PACKAGE_ROOT } from "../package.js";

/** How every schema is compiled: all errors, with the offending data, and strict about the schemas themselves. */
export const AJV_OPTIONS: Options = {
  allErrors: true,
  verbose: true,
  allowUnionTypes: true,
  strict: true,
  strictRequired: false,
};

/** Made on first use: most runs load no validator (see lazySchema) and no ajv. */
let required: NodeJS.Require | undefined;
const require = (id: string): unknown => (required ??= createRequire(import.meta.url))(id);

/** The package's schemas, by file name. */
export const SCHEMA_FILES: Readonly<Record<string, string>> = {
  "policy.schema.json": join(PACKAGE_ROOT, "policies", "policy.schema.json"),
  "modules.schema.json": join(PACKAGE_ROOT, "policies", "modules.schema.json"),
  "config.schema.json": join(PACKAGE_ROOT, "schemas", "config.schema.json"),
  "plan.schema.json": join(PACKAGE_ROOT, "schemas", "plan.schema.json"),
  "baseline.schema.json": join(PACKAGE_ROOT, "schemas", "baseline.schema.json"),
};

/**
 * A validator for one of the package's schemas, made on first use. The build compiles each schema
 * to code with ajv ahead of time (`scripts/build-validators.mjs` → `dist/validators/`), so a run
 * pays neither for loading ajv's compiler nor for compiling; from the sources (tests), ajv compiles
 * it here.
 */
export function lazySchema<T>(name: string): () => ValidateFunction<T> {
  let validator: ValidateFunction<T> | undefined;
  return () =>
    (validator ??=
      precompiled<T>(name) ?? compileSchema<T>(JSON.parse(readFileSync(SCHEMA_FILES[name]!, "utf8")) as object));
}

/** Validators compiled into a self-contained bundle (the Action's), by schema file name. */
const provided = new Map<string, ValidateFunction>();

/** Gives the validators a bundle carries, which has no dist/validators/ beside it (scripts/build-action.mjs). */
export function provideValidators(validators: Readonly<Record<string, ValidateFunction>>): void {
  for (const [name, validator] of Object.entries(validators)) provided.set(name, validator);
}

function precompiled<T>(name: string): ValidateFunction<T> | undefined {
  if (provided.has(name)) return provided.get(name) as ValidateFunction<T>;
  if (!import.meta.url.endsWith(".js")) return undefined;
  try {
    return require(join(PACKAGE_ROOT, "dist", "validators", `${basename(name, ".json")}.cjs`)) as ValidateFunction<T>;
  } catch {
    return undefined;
  }
}

/** Compiles a JSON Schema with ajv (loaded only now: most runs use the precompiled validators). */
export function compileSchema<T>(schema: object): ValidateFunction<T> {
  const { Ajv } = require("ajv") as typeof import("ajv");
  return new Ajv(AJV_OPTIONS).compile<T>(schema);
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
