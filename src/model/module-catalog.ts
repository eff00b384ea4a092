import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSchema, describeSchemaErrors, lazySchema } from "../load/validate.js";
import { PACKAGE_ROOT } from "../package.js";
import { jsonArgument, type Argument, type Module, type ModuleCall, type Resource, type Variable } from "./module.js";
import { parseModuleSource, PUBLIC_REGISTRIES } from "./module-sources.js";
import { compareVersions, parseConstraint, parseVersion, rangesOverlap, type VersionRange } from "./versions.js";

/** An input a catalog condition reads, with the module's default. */
export interface CatalogInput {
  default: unknown;
  /** What null stands for: an attribute of another input (cloudposse's `context.enabled`), else `default`. */
  whenNull?: { input?: string; attribute?: string; default: unknown };
  description?: string;
}

/** A resource a catalogued module creates when every input of `when` is true. */
export interface CatalogResource {
  address: string;
  alternatives?: string[];
  when: string[];
}

/** One registry module (for a range of its versions): what it creates, and which inputs decide it. */
export interface CatalogEntry {
  id: string;
  title: string;
  source: string;
  repository?: string;
  versions: string;
  inputs: Record<string, CatalogInput>;
  user: CatalogResource & { nameInput?: string; outputs: string[] };
  accessKey: CatalogResource & { fix: { input: string; value: unknown } };
  loginProfile?: CatalogResource;
  references: string[];
  notes?: string;
}

/** Raised when `policies/modules.json` is not valid: a packaging bug, reported like any other input error. */
export class ModuleCatalogError extends Error {}

/** The catalog that ships with keygate. */
export const MODULE_CATALOG_FILE = join(PACKAGE_ROOT, "policies", "modules.json");

let cached: CatalogEntry[] | undefined;
const catalogSchema = lazySchema<{ modules: CatalogEntry[] }>("modules.schema.json");

/** Loads and validates the module catalog (`policies/modules.json` against `policies/modules.schema.json`). */
export function loadModuleCatalog(file: string = MODULE_CATALOG_FILE): CatalogEntry[] {
  if (file === MODULE_CATALOG_FILE && cached) return cached;
  let data: unknown;
  let validate: ReturnType<typeof catalogSchema>;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
    validate =
      file === MODULE_CATALOG_FILE
        ? catalogSchema()
        : compileSchema<{ modules: CatalogEntry[] }>(
            JSON.parse(readFileSync(join(file, "..", "modules.schema.json"), "utf8")) as object,
          );
  } catch (error) {
    throw new ModuleCatalogError(`${file}: ${(error as Error).message}`);
  }
  if (!validate(data)) throw new ModuleCatalogError(`${file}: ${describeSchemaErrors(validate.errors).join(" ")}`);
  const entries = data.modules;
  const ids = new Set<string>();
  for (const entry of entries) {
    const where = `${file}: module "${entry.id}"`;
    if (ids.has(entry.id)) throw new ModuleCatalogError(`${where}: the id is used twice.`);
    ids.add(entry.id);
    if (!parseConstraint(entry.versions))
      throw new ModuleCatalogError(`${where}: versions "${entry.versions}" is not a version constraint.`);
    for (const resource of [entry.user, entry.accessKey, entry.loginProfile]) {
      for (const input of resource?.when ?? []) {
        if (!(input in entry.inputs))
          throw new ModuleCatalogError(`${where}: condition input "${input}" is not among its inputs.`);
      }
    }
  }
  if (file === MODULE_CATALOG_FILE) cached = entries;
  return entries;
}

/** The catalog entries a module call may be, and what its version said about it. */
export interface CatalogMatch {
  /** Entries whose versions the call's constraint allows, newest first (never empty). */
  candidates: CatalogEntry[];
  /** The version constraint or git ref that was read (absent: none). */
  version: string | undefined;
  /** Why more than one entry remains, when it is because of the version: shown with findings. */
  versionNote: string | undefined;
}

/**
 * The catalog entries for a module call: its source names a catalogued registry module (or its git
 * repository), and its version constraint (or git ref, or the version `terraform init` installed)
 * allows their versions. Arguments the call passes rule out entries that lack them, since Terraform
 * refuses arguments a module does not declare (`create_iam_access_key` is not a 6.x input).
 */
export function matchCatalog(
  source: string | undefined,
  version: string | undefined,
  argumentNames: readonly string[],
  entries: readonly CatalogEntry[] = loadModuleCatalog(),
): CatalogMatch | undefined {
  if (source === undefined) return undefined;
  const address = parseModuleSource(source);
  let sameSource: CatalogEntry[];
  let versionText = version;
  if (address.kind === "registry") {
    if (!PUBLIC_REGISTRIES.has(address.host)) return undefined;
    const name = `${address.namespace}/${address.name}/${address.provider}${address.subdir ? `//${address.subdir}` : ""}`;
    sameSource = entries.filter((e) => e.source.toLowerCase() === name);
  } else if (address.kind === "git") {
    sameSource = entries.filter(
      (e) =>
        e.repository !== undefined &&
        e.repository.toLowerCase() === address.repository.toLowerCase() &&
        subdirOf(e.source) === address.subdir,
    );
    const ref = address.ref?.replace(/^(refs\/)?tags\//, "");
    versionText ??= ref && parseVersion(ref) ? `= ${ref.replace(/^v/, "")}` : undefined;
  } else return undefined;
  if (sameSource.length === 0) return undefined;

  let candidates = sameSource;
  let versionNote: string | undefined;
  const range = versionText !== undefined ? parseConstraint(versionText) : undefined;
  if (versionText === undefined) versionNote = "the call has no version constraint";
  else if (!range) versionNote = `the version constraint "${versionText}" is not understood`;
  else candidates = sameSource.filter((e) => rangesOverlap(range, parseConstraint(e.versions)!));
  if (candidates.length === 0) return undefined;

  // Arguments that only some entries declare tell the versions apart.
  const declared = (e: CatalogEntry) =>
    new Set([...Object.keys(e.inputs), ...(e.user.nameInput ? [e.user.nameInput] : [])]);
  const catalogued = new Set(candidates.flatMap((e) => Object.keys(e.inputs)));
  const fitting = candidates.filter((e) => argumentNames.every((a) => !catalogued.has(a) || declared(e).has(a)));
  if (fitting.length > 0) candidates = fitting;

  candidates = [...candidates].sort((a, b) =>
    compareVersions(lowerBound(parseConstraint(b.versions)!), lowerBound(parseConstraint(a.versions)!)),
  );
  if (candidates.length > 1) {
    const ids = candidates.map((c) => c.id).join(", ");
    versionNote = versionNote
      ? `${versionNote}, which allows ${ids}`
      : `the version constraint "${versionText}" allows ${ids}`;
  } else versionNote = undefined;
  return { candidates, version: versionText, versionNote };
}

function subdirOf(source: string): string {
  const at = source.indexOf("//");
  return at === -1 ? "" : source.slice(at + 2);
}

function lowerBound(range: VersionRange): readonly [number, number, number] {
  return range.lower?.version ?? [0, 0, 0];
}

/**
 * The HCL expression that is true when a catalog input is: `var.NAME`, or with a null fallback
 * (cloudposse's `enabled`) the fallback attribute or default when the input is null.
 */
export function conditionSource(entry: CatalogEntry, name: string): string {
  const fallback = entry.inputs[name]?.whenNull;
  if (!fallback) return `var.${name}`;
  const def = JSON.stringify(fallback.default);
  const other = fallback.input
    ? `try(var.${fallback.input}${fallback.attribute ? `.${fallback.attribute}` : ""}, null)`
    : "null";
  return `(var.${name} != null ? var.${name} : (${other} != null ? ${other} : ${def}))`;
}

/** `count` of a resource created when every input of `when` is true. */
function countSource(entry: CatalogEntry, when: readonly string[]): string {
  return when.length === 0 ? "1" : `\${${when.map((w) => `(${conditionSource(entry, w)})`).join(" && ")} ? 1 : 0}`;
}

/**
 * A module that stands for a catalogued registry module in the configuration: its user (and key,
 * and console password) as resources whose `count` follows the catalog's conditions, its inputs as
 * variables with the catalog's defaults, and its user outputs as references to that user. Every
 * resource is located at the module call, the only line of it the user wrote.
 */
export function catalogModule(match: CatalogMatch, call: ModuleCall, parentDir: string): Module {
  const entry = match.candidates[0]!;
  const variables = new Map<string, Variable>();
  for (const candidate of match.candidates) {
    for (const [name, input] of Object.entries(candidate.inputs)) {
      if (!variables.has(name)) variables.set(name, { name, hasDefault: true, default: input.default });
      const other = input.whenNull?.input;
      if (other && !variables.has(other)) variables.set(other, { name: other, hasDefault: true, default: null });
    }
    const nameInput = candidate.user.nameInput;
    if (nameInput && !variables.has(nameInput))
      variables.set(nameInput, { name: nameInput, hasDefault: false, default: undefined });
  }
  const user = resourceAt(entry.user.address, call, {
    count: countSource(entry, entry.user.when),
    ...(entry.user.nameInput ? { name: `\${var.${entry.user.nameInput}}` } : {}),
  });
  const userName = `\${${user.type}.${user.name}[0].name}`;
  const resources: Resource[] = [
    user,
    resourceAt(entry.accessKey.address, call, { count: countSource(entry, entry.accessKey.when), user: userName }),
  ];
  if (entry.loginProfile)
    resources.push(
      resourceAt(entry.loginProfile.address, call, {
        count: countSource(entry, entry.loginProfile.when),
        user: userName,
      }),
    );
  const outputs = new Map<string, Argument>();
  for (const candidate of match.candidates)
    for (const output of candidate.user.outputs) outputs.set(output, jsonArgument(userName));
  return {
    dir: `${parentDir}#module.${call.name}(${entry.id})`,
    files: [],
    resources,
    calls: [],
    variables,
    locals: new Map(),
    outputs,
    moves: [],
  };
}

/** A resource the catalog describes; its arguments are templates (`${var.create ? 1 : 0}`), as JSON syntax writes them. */
function resourceAt(address: string, call: ModuleCall, body: Record<string, string>): Resource {
  const [type = "", name = ""] = address.split(".").slice(-2);
  const args = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, jsonArgument(v)]));
  return {
    mode: "managed",
    type,
    name,
    localAddress: address,
    body: args,
    source: call.sourceFile,
    location: call.location,
    attributeLocations: {},
  };
}
