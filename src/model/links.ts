import { qualify, type Configuration, type ModuleInstance } from "./configuration.js";
import {
  alternatives,
  Evaluator,
  newTrace,
  sameValue,
  shownText,
  type Scope,
  type Trace,
  type Value,
} from "./expressions.js";
import { isImported } from "./imports.js";
import { stringLiteral } from "../load/hcl-syntax.js";
import { resourcesOfType, type Argument, type Resource } from "./module.js";
import { writtenText } from "./written.js";

/** The routes by which a key's `user` argument is tied to a declared user. */
export type LinkRoute = "reference" | "for-each" | "literal-name" | "same-value" | "module-output" | "module-input";

/** A resource in one instance of a configuration, with its full address. */
export interface PlacedResource {
  instance: ModuleInstance;
  resource: Resource;
  /** Module-qualified address, e.g. `module.team.aws_iam_access_key.ci`. */
  address: string;
  /** Conditions on its existence (count / for_each, its own or its module calls') that could not be decided. */
  undecided: string[];
}

/** A resource whose link attribute names a resource of the target type, and how. */
export interface Link {
  subject: PlacedResource;
  target: PlacedResource;
  /** The target's name, when it is known statically. */
  targetName: string | undefined;
  route: LinkRoute;
  /** Undecided conditions on the way (existence of both ends, branches of the link expression). */
  undecided: string[];
}

/** What to link: e.g. `aws_iam_access_key.user` to `aws_iam_user.name`. */
export interface LinkSpec {
  subjectType: string;
  linkAttribute: string;
  targetType: string;
  nameAttribute: string;
}

/**
 * Links every created resource of `subjectType` to the created resources of `targetType` its
 * `linkAttribute` refers to, by the routes of docs/checks.md ("What keygate checks"): a reference
 * (through locals, variables, module inputs and outputs, `for_each`), an equal known name, or the
 * very same undecided expression. Data sources are existing objects and never targets.
 */
export async function linkResources(
  configuration: Configuration,
  spec: LinkSpec,
  evaluator = new Evaluator(),
): Promise<Link[]> {
  // Every name and every link attribute is evaluated side by side: expressions are parsed on the
  // parser's worker threads, and many requests in flight keep them busy.
  const targets = await Promise.all(
    (await createdResources(configuration, spec.targetType, evaluator)).map(async (placed) => ({
      placed,
      name: await evaluator.evaluate(
        placed.resource.body[spec.nameAttribute],
        await resourceScope(evaluator, placed),
        newTrace(),
      ),
    })),
  );
  const subjects = await Promise.all(
    (await createdResources(configuration, spec.subjectType, evaluator)).map(async (subject) => {
      const trace = newTrace();
      const value = await evaluator.evaluate(
        subject.resource.body[spec.linkAttribute],
        await resourceScope(evaluator, subject),
        trace,
      );
      return { subject, trace, value };
    }),
  );
  const links: Link[] = [];
  const candidates = targetIndex(targets);
  for (const { subject, trace, value } of subjects) {
    for (const index of candidates(value)) {
      const target = targets[index]!;
      const how = matchTarget(value, target.placed, target.name);
      if (!how) continue;
      links.push({
        subject,
        target: target.placed,
        targetName: knownString(target.name),
        route: routeOf(how, trace, subject.resource.body[spec.linkAttribute]),
        undecided: [...new Set([...subject.undecided, ...target.placed.undecided, ...trace.undecided])],
      });
    }
  }
  return links;
}

/**
 * Resources of a type that the configuration creates: managed, not adopted by `import` blocks, and
 * not switched off by a decided `count = 0` / empty `for_each`.
 */
export async function createdResources(
  configuration: Configuration,
  type: string,
  evaluator: Evaluator,
): Promise<PlacedResource[]> {
  const placed: PlacedResource[] = [];
  for (const instance of configuration.instances) {
    const instanceExistence = await moduleExistence(instance, evaluator);
    if (instanceExistence === "absent") continue;
    for (const resource of resourcesOfType(instance.module, type)) {
      if (resource.mode !== "managed") continue;
      // Adopted by `import` blocks: an existing object, not one the configuration creates.
      if (await isImported(configuration, instance, resource, evaluator)) continue;
      const existence = await blockExistence(resource.body.count, resource.body.for_each, instance, evaluator);
      if (existence === "absent") continue;
      placed.push({
        instance,
        resource,
        address: qualify(instance, resource.localAddress),
        undecided: [...instanceExistence, ...existence],
      });
    }
  }
  return placed;
}

/** The undecided conditions of a module instance and its callers, or "absent" if a call creates no instance. */
export async function moduleExistence(instance: ModuleInstance, evaluator: Evaluator): Promise<string[] | "absent"> {
  const undecided: string[] = [];
  for (let i: ModuleInstance | undefined = instance; i.call && i.parent; i = i.parent) {
    const existence = await blockExistence(i.call.count, i.call.forEach, i.parent, evaluator);
    if (existence === "absent") return "absent";
    undecided.push(...existence);
  }
  return undecided;
}

/**
 * Whether a block with these `count` / `for_each` arguments creates anything: "absent" when it
 * certainly creates nothing (count 0, an empty collection), otherwise the conditions that could not
 * be decided (fail closed: an undecided block is taken as created).
 */
export async function blockExistence(
  count: Argument | undefined,
  forEach: Argument | undefined,
  instance: ModuleInstance,
  evaluator: Evaluator,
): Promise<string[] | "absent"> {
  const undecided: string[] = [];
  for (const [argument, raw] of [
    ["count", count],
    ["for_each", forEach],
  ] as const) {
    if (raw === undefined) continue;
    const trace = newTrace();
    const value = await evaluator.evaluate(raw, { instance }, trace);
    const options = alternatives(value);
    const empty = options.map(isEmptyCollectionOrZero);
    if (empty.every((e) => e === true)) return "absent";
    if (!empty.every((e) => e === false))
      undecided.push(`${argument} = ${withResidual(writtenText(raw), trace, value)}`);
  }
  return undecided;
}

/** true: certainly creates nothing; false: certainly creates something; undefined: cannot tell. */
function isEmptyCollectionOrZero(value: Value): boolean | undefined {
  switch (value.kind) {
    case "known":
      if (typeof value.value === "number") return value.value <= 0;
      if (Array.isArray(value.value)) return value.value.length === 0;
      if (value.value === null) return undefined;
      if (typeof value.value === "object") return Object.keys(value.value).length === 0;
      return undefined;
    case "ref":
      // for_each over resources: as many instances as they have, and they are checked for existence themselves.
      return false;
    case "tuple":
      return value.items.length === 0;
    case "object":
      return value.entries.size === 0;
    default:
      return undefined;
  }
}

/** The evaluation scope of a resource: its instance plus `each` / `count.index` bindings. */
function resourceScope(evaluator: Evaluator, placed: PlacedResource): Promise<Scope> {
  return evaluator.blockScope(placed.instance, placed.resource.body.for_each, placed.resource.body.count);
}

type Match = "reference" | "name";

/** What a value can match a target by (see matchTarget): the resource it refers to, or a name. */
function nameKey(value: Value): string | undefined {
  if (value.kind === "known")
    return typeof value.value === "string" && value.value !== "" ? `known\u0000${value.value}` : undefined;
  return value.kind === "unknown" ? `unknown\u0000${value.text}` : undefined;
}

/**
 * The targets a link value can match, in their order, found by index rather than by trying each
 * (a file of 50,000 users and 50,000 keys would take 2.5 billion tries): by the resource a
 * reference names, and by the known or unknown name. matchTarget still decides.
 */
function targetIndex(targets: readonly { placed: PlacedResource; name: Value }[]): (value: Value) => number[] {
  const byResource = new Map<Resource, number[]>();
  const byName = new Map<string, number[]>();
  const add = <K>(map: Map<K, number[]>, key: K, index: number) => {
    const list = map.get(key);
    if (!list) map.set(key, [index]);
    else if (list[list.length - 1] !== index) list.push(index);
  };
  targets.forEach((target, index) => {
    add(byResource, target.placed.resource, index);
    for (const name of alternatives(target.name)) {
      const key = nameKey(name);
      if (key !== undefined) add(byName, key, index);
    }
  });
  return (value) => {
    const found = new Set<number>();
    for (const option of alternatives(value)) {
      const list = option.kind === "ref" ? byResource.get(option.resource) : byName.get(nameKey(option) ?? "");
      for (const index of list ?? []) found.add(index);
    }
    return [...found].sort((a, b) => a - b);
  };
}

function matchTarget(value: Value, target: PlacedResource, targetName: Value): Match | undefined {
  const names = alternatives(targetName);
  let how: Match | undefined;
  for (const option of alternatives(value)) {
    if (option.kind === "ref") {
      if (option.resource === target.resource && option.instance === target.instance) return "reference";
      continue;
    }
    if (option.kind === "known" && (typeof option.value !== "string" || option.value === "")) continue;
    if (option.kind === "known" || option.kind === "unknown") {
      if (names.some((n) => n.kind === option.kind && sameValue(n, option))) how = "name";
    }
  }
  return how;
}

function routeOf(how: Match, trace: Trace, raw: Argument | undefined): LinkRoute {
  if (trace.steps.has("module-output")) return "module-output";
  if (trace.steps.has("module-input")) return "module-input";
  if (trace.steps.has("each")) return "for-each";
  if (how === "reference") return "reference";
  return raw && raw.value.kind === "template" && stringLiteral(raw.value) !== undefined ? "literal-name" : "same-value";
}

function knownString(value: Value): string | undefined {
  return value.kind === "known" && typeof value.value === "string" ? value.value : undefined;
}

/**
 * An undecided expression as written, and what keygate could not decide of it when that is not
 * plain to see: `local.enabled ? 1 : 0, which depends on var.on` (local.enabled being
 * `var.enabled && var.user_enabled ? true : false` in a module called with `enabled = var.on`, and
 * user_enabled true). Names are shown without the checkout's directory.
 */
export function withResidual(written: string, trace: Trace, value?: Value): string {
  const residual = residualOf(trace, value, written);
  return residual.length ? `${written}, which depends on ${residual.join(" and ")}` : written;
}

/** What is left undecided of an evaluation (see Trace.residual), shown, leaving out what `written` already shows. */
export function residualOf(trace: Trace, value?: Value, written?: string): string[] {
  // `(x != null)` and `one of (x | null)` (from a `try(x, null) != null ? … : default` fallback) depend on x.
  const plain = (t: string) =>
    t
      .replace(/^\((.*)\)$/, "$1")
      .replace(/^(.*) [!=]= null$/, "$1")
      .replace(/^one of \((.*) \| null\)$/, "$1");
  // What the message shows already: the value as written, and each undecided condition as written.
  const shown = new Set([...(written !== undefined ? [written] : []), ...trace.undecided].map(plain));
  const texts = [...trace.residual, ...(value?.kind === "unknown" ? [value.text] : [])].map((t) => plain(shownText(t)));
  return [...new Set(texts)].filter((t) => !shown.has(t));
}
