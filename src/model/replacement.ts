import { Evaluator, newTrace, textOf, type Value } from "./expressions.js";
import type { PlacedResource } from "./links.js";

/*
 * Replacement is creation: an argument the provider marks ForceNew cannot be updated in place, so
 * a change to it makes Terraform destroy the object and create a new one (the plan's
 * ["delete","create"], action_reason "replace_because_cannot_update"). A key whose `user` now
 * names another user is a new key, even though its address existed before.
 */

/**
 * The arguments that force replacement, by resource type (hashicorp/aws 5.x schema). `aws_iam_user`
 * has none: its name, path and permissions boundary are updated in place.
 */
const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  aws_iam_access_key: ["user", "pgp_key"],
};

/** Whether changes to a resource type's arguments can replace it. */
export function replaceable(type: string): boolean {
  return FORCE_NEW[type] !== undefined;
}

/**
 * What decides whether an object of this block is replaced: the values of its ForceNew arguments,
 * as a canonical text (compared across the two sides of a change), or undefined for a type that
 * has none. A reference to another resource's attribute that is a literal in that resource (the
 * user's `name = "ci"`) stands for the literal, as in the plan, where it is known: renaming the
 * user's block without changing its name replaces nothing.
 */
export async function replacementIdentity(placed: PlacedResource, evaluator: Evaluator): Promise<string | undefined> {
  const forceNew = FORCE_NEW[placed.resource.type];
  if (!forceNew) return undefined;
  // Without instance bindings: `each.key` stays a name, so a new instance does not change the others' identity.
  const scope = { instance: placed.instance };
  const parts: string[] = [];
  for (const argument of forceNew) {
    const value = await evaluator.evaluate(placed.resource.body[argument], scope, newTrace());
    parts.push(`${argument}=${textOf(await literalBehind(value, evaluator))}`);
  }
  return parts.join("\u0000");
}

/** `aws_iam_user.x.name` → the user's literal name, when it is one; any other value as it is. */
async function literalBehind(value: Value, evaluator: Evaluator): Promise<Value> {
  if (value.kind !== "ref" || value.path.length !== 1) return value;
  const attribute = value.resource.body[value.path[0]!];
  if (attribute === undefined) return value;
  const resolved = await evaluator.evaluate(attribute, { instance: value.instance }, newTrace());
  return resolved.kind === "known" ? resolved : value;
}
