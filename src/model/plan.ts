import type {
  PlanConfigModule,
  PlanConfigResource,
  PlanDocument,
  PlanExpression,
  PlanModuleCall,
  ResourceChange,
} from "../load/plan.js";
import type { LinkRoute } from "./links.js";

/** A resource instance the plan creates (its actions include `create`: a create or a replace). */
export interface PlannedCreation {
  change: ResourceChange;
  /** Module instance address ("" for the root), e.g. `module.team["a"]`. */
  moduleInstance: string;
}

/** A created subject (an access key) tied to a created target (its user) within one plan. */
export interface PlanLink {
  subject: PlannedCreation;
  target: PlannedCreation;
  route: LinkRoute;
  /** The target's planned name, when the plan knows it. */
  targetName: string | undefined;
}

/** What to link: e.g. `aws_iam_access_key.user` to `aws_iam_user.name`. */
export interface PlanLinkSpec {
  subjectType: string;
  linkAttribute: string;
  targetType: string;
  nameAttribute: string;
}

/** Whether a change creates an object: `create`, or a replace (`delete`+`create` in either order). Deposed objects are old ones. */
export function createsObject(change: ResourceChange): boolean {
  return change.mode === "managed" && change.deposed === undefined && change.change.actions.includes("create");
}

/**
 * Links the subjects a plan creates to the targets it creates: by known values (`after.user` equals
 * the user's `after.name`) when both are known, otherwise by the configuration's references —
 * direct (`aws_iam_user.x`, with or without an instance key), through `each.*` / `count.index`
 * (matching instance keys), through module inputs (`var.*` → the call's argument) and outputs
 * (`module.m.out` → the output's references).
 */
export function linkPlannedResources(plan: PlanDocument, spec: PlanLinkSpec): PlanLink[] {
  const created = plan.resource_changes
    .filter(createsObject)
    .map((change) => ({ change, moduleInstance: change.module_address ?? "" }));
  const targets = created.filter((c) => c.change.type === spec.targetType);
  const subjects = created.filter((c) => c.change.type === spec.subjectType);
  const root = plan.configuration?.root_module ?? {};
  const links: PlanLink[] = [];
  for (const subject of subjects) {
    const subjectValue = knownAttribute(subject.change, spec.linkAttribute);
    const resolved = resolveReferences(root, subject, spec);
    for (const target of targets) {
      const targetName = knownAttribute(target.change, spec.nameAttribute);
      let route: LinkRoute | undefined;
      if (subjectValue !== undefined && targetName !== undefined) {
        if (subjectValue === targetName) route = resolved.find((r) => matches(r, target))?.route ?? "same-value";
      } else {
        route = resolved.find((r) => matches(r, target))?.route;
      }
      if (route) links.push({ subject, target, route, targetName });
    }
  }
  return links;
}

/** A known string value of an attribute after the change, or undefined when unknown until apply. */
function knownAttribute(change: ResourceChange, attribute: string): string | undefined {
  const unknown = change.change.after_unknown;
  if (unknown === true || (typeof unknown === "object" && unknown[attribute] === true)) return undefined;
  const value = change.change.after?.[attribute];
  return typeof value === "string" ? value : undefined;
}

/** A target instance a reference can mean: resource `type.name` in a module instance, with an instance key or any. */
interface Candidate {
  moduleInstance: string;
  type: string;
  name: string;
  /** The instance key, or "any" when every instance is meant. */
  key: string | number;
  route: LinkRoute;
}

interface Context {
  module: PlanConfigModule;
  moduleInstance: string;
  /** The instance key of the block whose expression is read (`each.key` / `count.index`). */
  instanceKey: string | number | undefined;
  forEach: PlanExpression | undefined;
  route: LinkRoute | undefined;
  depth: number;
}

function resolveReferences(root: PlanConfigModule, subject: PlannedCreation, spec: PlanLinkSpec): Candidate[] {
  const module = configModuleAt(root, subject.moduleInstance);
  const resource = module?.resources?.find(
    (r) => r.address === `${subject.change.type}.${subject.change.name}` && (r.mode ?? "managed") === "managed",
  );
  if (!module || !resource) return [];
  return fromExpression(
    expressionOf(resource, spec.linkAttribute),
    spec.targetType,
    {
      module,
      moduleInstance: subject.moduleInstance,
      instanceKey: subject.change.index,
      forEach: resource.for_each_expression,
      route: undefined,
      depth: 0,
    },
    root,
  );
}

function fromExpression(
  expression: PlanExpression | undefined,
  targetType: string,
  context: Context,
  root: PlanConfigModule,
): Candidate[] {
  if (!expression?.references || context.depth > 32) return [];
  const refs = expression.references;
  const candidates: Candidate[] = [];
  const usesInstanceKey = refs.some((r) => r === "count.index" || r.startsWith("each."));
  const indexed = new Set<string>();
  for (const ref of refs) {
    const parsed = parseResourceRef(ref, targetType);
    if (parsed && parsed.key !== undefined) {
      indexed.add(parsed.name);
      candidates.push({
        moduleInstance: context.moduleInstance,
        type: targetType,
        name: parsed.name,
        key: parsed.key,
        route: context.route ?? "reference",
      });
    }
  }
  for (const ref of refs) {
    const parsed = parseResourceRef(ref, targetType);
    if (parsed && parsed.key === undefined && !indexed.has(parsed.name)) {
      const key = usesInstanceKey && context.instanceKey !== undefined ? context.instanceKey : "any";
      candidates.push({
        moduleInstance: context.moduleInstance,
        type: targetType,
        name: parsed.name,
        key,
        route: context.route ?? (usesInstanceKey ? "for-each" : "reference"),
      });
    }
    if (ref.startsWith("each.") && context.forEach) {
      // each.value.name with for_each = aws_iam_user.x: the user with the same instance key.
      for (const feRef of context.forEach.references ?? []) {
        const fe = parseResourceRef(feRef, targetType);
        if (fe)
          candidates.push({
            moduleInstance: context.moduleInstance,
            type: targetType,
            name: fe.name,
            key: context.instanceKey ?? "any",
            route: context.route ?? "for-each",
          });
      }
    }
    const variable = /^var\.([A-Za-z_][\w-]*)$/.exec(ref);
    if (variable && context.moduleInstance) {
      const { parentInstance, callName, callKey } = splitModuleInstance(context.moduleInstance);
      const parent = configModuleAt(root, parentInstance);
      const call = parent?.module_calls?.[callName];
      if (parent && call) {
        candidates.push(
          ...fromExpression(
            expressionOf(call, variable[1]!),
            targetType,
            {
              module: parent,
              moduleInstance: parentInstance,
              instanceKey: callKey,
              forEach: call.for_each_expression,
              route: context.route ?? "module-input",
              depth: context.depth + 1,
            },
            root,
          ),
        );
      }
    }
    const output = /^module\.([A-Za-z_][\w-]*)(\[[^\]]+\])?\.([A-Za-z_][\w-]*)$/.exec(ref);
    if (output) {
      const call = context.module.module_calls?.[output[1]!];
      const child = call?.module;
      const expression = child?.outputs?.[output[3]!]?.expression;
      if (child && expression) {
        const childKey = output[2] ? parseKey(output[2].slice(1, -1)) : undefined;
        const childInstance = `${context.moduleInstance ? `${context.moduleInstance}.` : ""}module.${output[1]}${childKey !== undefined ? `[${JSON.stringify(childKey)}]` : ""}`;
        for (const candidate of fromExpression(
          expression,
          targetType,
          {
            module: child,
            moduleInstance: childInstance,
            instanceKey: undefined,
            forEach: undefined,
            route: context.route ?? "module-output",
            depth: context.depth + 1,
          },
          root,
        )) {
          // Without an instance key, the output of every instance of the call is meant.
          candidates.push(
            childKey === undefined && (call.for_each_expression || call.count_expression)
              ? { ...candidate, moduleInstance: `${candidate.moduleInstance}[*]` }
              : candidate,
          );
        }
      }
    }
  }
  return candidates;
}

function matches(candidate: Candidate, target: PlannedCreation): boolean {
  if (target.change.type !== candidate.type || target.change.name !== candidate.name) return false;
  const instance = candidate.moduleInstance.endsWith("[*]")
    ? stripLastKey(target.moduleInstance) === candidate.moduleInstance.slice(0, -3)
    : target.moduleInstance === candidate.moduleInstance;
  if (!instance) return false;
  return candidate.key === "any" || candidate.key === target.change.index;
}

/** `aws_iam_user.x`, `aws_iam_user.x[0]`, `aws_iam_user.x["k"]`, `aws_iam_user.x.name` → name and key. */
function parseResourceRef(ref: string, type: string): { name: string; key: string | number | undefined } | undefined {
  const match = new RegExp(`^${type}\\.([A-Za-z_][\\w-]*)(?:\\[([^\\]]+)\\])?(?:\\..*)?$`).exec(ref);
  if (!match) return undefined;
  return { name: match[1]!, key: match[2] !== undefined ? parseKey(match[2]) : undefined };
}

function parseKey(text: string): string | number {
  if (/^\d+$/.test(text)) return Number(text);
  try {
    return JSON.parse(text) as string;
  } catch {
    return text;
  }
}

function expressionOf(block: PlanConfigResource | PlanModuleCall, attribute: string): PlanExpression | undefined {
  const e = block.expressions?.[attribute];
  return typeof e === "object" && e !== null && !Array.isArray(e) ? e : undefined;
}

/** The configuration module of a module instance (`module.a["x"].module.b` → root.module_calls.a.module.module_calls.b.module). */
export function configModuleAt(root: PlanConfigModule, moduleInstance: string): PlanConfigModule | undefined {
  let module: PlanConfigModule | undefined = root;
  for (const name of moduleCallNames(moduleInstance)) module = module?.module_calls?.[name]?.module;
  return module;
}

/** The call names along a module instance address, instance keys dropped. */
export function moduleCallNames(moduleInstance: string): string[] {
  return [...moduleInstance.matchAll(/module\.([A-Za-z_][\w-]*)(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?/g)].map((m) => m[1]!);
}

/** Drops instance keys from an address: `module.a["x"].aws_iam_user.u[0]` → `module.a.aws_iam_user.u`. */
export function configAddress(address: string): string {
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]/g, "");
}

function splitModuleInstance(moduleInstance: string): {
  parentInstance: string;
  callName: string;
  callKey: string | number | undefined;
} {
  const match = /^(?:(.*)\.)?module\.([A-Za-z_][\w-]*)(?:\[((?:"(?:[^"\\]|\\.)*")|\d+)\])?$/.exec(moduleInstance);
  if (!match) return { parentInstance: "", callName: "", callKey: undefined };
  return {
    parentInstance: match[1] ?? "",
    callName: match[2]!,
    callKey: match[3] !== undefined ? parseKey(match[3]) : undefined,
  };
}

function stripLastKey(moduleInstance: string): string {
  return moduleInstance.replace(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]$/, "");
}
