import type { Finding } from "../findings.js";
import type { Novelty, Policy } from "../policies/policy.js";
import { qualify, type Configuration, type ModuleInstance } from "../model/configuration.js";
import { alternatives, eachBinding, Evaluator, newTrace } from "../model/expressions.js";
import { blockExistence, createdResources } from "../model/links.js";
import { canonicalText } from "../model/canonical.js";
import type { Argument, Move } from "../model/module.js";
import { replacementIdentity } from "../model/replacement.js";

export type { Novelty } from "../policies/policy.js";

/** The instances of a block with `count` or `for_each`: their keys when known, and the arguments as written. */
export interface Instances {
  keys: Set<string> | "unknown";
  kind: "count" | "for_each";
  /** The `count` / `for_each` expression as written, to tell whether an unknown one changed. */
  written: string;
}

/**
 * What one configuration (a root module and the local modules it calls) declares, in the terms a
 * change is judged by: the managed resources and module calls it creates, by module-qualified
 * address without instance keys, their instances, the `moved` blocks that rename them, and the
 * findings it yielded.
 */
export interface Inventory {
  /** Absolute directory of the root module. */
  root: string;
  /** Absolute directories of every module in it, the root's included. */
  dirs: Set<string>;
  /** `aws_iam_user.deploy`, `module.team.aws_iam_access_key.ci`, `module.team` … */
  addresses: Set<string>;
  /** Instances of the resources with `count` or `for_each`, by address. */
  instances: Map<string, Instances>;
  /** `moved` blocks, module-qualified, as written (instance keys kept). */
  moves: Move[];
  /** The values of the arguments that force replacement (see replacement.ts), by address, for the types that have them. */
  identities: Map<string, string>;
  /** Fingerprints of the findings this configuration yielded. */
  fingerprints: Set<string>;
}

/** Takes the inventory of a configuration: what it creates (count 0 and empty for_each excluded), renames and yielded. */
export async function takeInventory(configuration: Configuration, findings: readonly Finding[]): Promise<Inventory> {
  const evaluator = new Evaluator();
  const addresses = new Set<string>();
  const instances = new Map<string, Instances>();
  const moves: Move[] = [];
  const identities = new Map<string, string>();
  const types = new Set(
    configuration.instances.flatMap((i) => i.module.resources.filter((r) => r.mode === "managed").map((r) => r.type)),
  );
  for (const type of types) {
    for (const placed of await createdResources(configuration, type, evaluator)) {
      addresses.add(placed.address);
      const { count, for_each: forEach } = placed.resource.body;
      const found = await instancesOf(forEach, count, placed.instance, evaluator);
      if (found) instances.set(placed.address, found);
      const identity = await replacementIdentity(placed, evaluator);
      if (identity !== undefined) identities.set(placed.address, identity);
    }
  }
  for (const instance of configuration.instances) {
    for (const call of instance.module.calls) {
      // A registry module that creates a user and its key is reported at its call's address.
      if ((await blockExistence(call.count, call.forEach, instance, evaluator)) !== "absent")
        addresses.add(qualify(instance, `module.${call.name}`));
    }
    for (const move of instance.module.moves)
      moves.push({ from: qualify(instance, move.from), to: qualify(instance, move.to) });
  }
  return {
    root: configuration.root.module.dir,
    dirs: new Set(configuration.instances.map((i) => i.module.dir)),
    addresses,
    instances,
    moves,
    identities,
    fingerprints: new Set(findings.map((f) => f.fingerprint)),
  };
}

async function instancesOf(
  forEach: Argument | undefined,
  count: Argument | undefined,
  instance: ModuleInstance,
  evaluator: Evaluator,
  depth = 0,
): Promise<Instances | undefined> {
  if (forEach !== undefined) {
    const written = canonicalText(forEach.value);
    const collection = await evaluator.evaluate(forEach, { instance }, newTrace());
    // for_each = aws_iam_user.bots: the same keys as that resource's instances.
    if (collection.kind === "ref" && collection.path.length === 0 && depth < 4) {
      const target = await instancesOf(
        collection.resource.body.for_each,
        collection.resource.body.count,
        collection.instance,
        evaluator,
        depth + 1,
      );
      return { keys: target?.keys ?? "unknown", kind: "for_each", written };
    }
    const keys = alternatives(eachBinding(collection).key);
    const known = keys.every((k) => k.kind === "known" && (typeof k.value === "string" || typeof k.value === "number"));
    return {
      keys: known ? new Set(keys.map((k) => String((k as { value: unknown }).value))) : "unknown",
      kind: "for_each",
      written,
    };
  }
  if (count !== undefined) {
    const n = await evaluator.evaluate(count, { instance }, newTrace());
    const keys =
      n.kind === "known" && typeof n.value === "number"
        ? new Set(Array.from({ length: n.value }, (_, i) => String(i)))
        : "unknown";
    return { keys, kind: "count", written: canonicalText(count.value) };
  }
  return undefined;
}

/** What is new about the block at `address` (module-qualified) in the configuration after the change. */
export function noveltyOf(address: string, before: Inventory | undefined, after: Inventory): Novelty {
  const bare = withoutInstanceKeys(address);
  const current = after.instances.get(bare);
  const earlier = before && earlierAddress(bare, before, after.moves);
  if (!earlier) return current && current.keys !== "unknown" ? nonEmpty(current.keys) : "block";
  // Replacement is creation: a changed ForceNew argument (a key's `user`, `pgp_key`) makes every instance a new object.
  const identity = after.identities.get(bare);
  if (identity !== undefined && before.identities.has(earlier) && before.identities.get(earlier) !== identity)
    return current && current.keys !== "unknown" ? nonEmpty(current.keys) : "block";
  if (!current) return "none";
  const previous = before.instances.get(earlier);
  // Instances moved in by `moved` blocks existed before.
  const movedIn = new Set(
    after.moves.filter((m) => withoutInstanceKeys(m.to) === bare).flatMap((m) => instanceKeyOf(m.to) ?? []),
  );
  if (current.keys === "unknown") return previous?.written === current.written ? "none" : "unknown";
  let added: string[];
  if (!previous) {
    // count added to a single resource: Terraform moves it to [0] by itself.
    added = [...current.keys].filter((k) => !(current.kind === "count" && k === "0"));
  } else if (previous.keys === "unknown") {
    return previous.written === current.written ? "none" : "unknown";
  } else {
    const had = previous.keys;
    added = [...current.keys].filter((k) => !had.has(k));
  }
  return nonEmpty(new Set(added.filter((k) => !movedIn.has(k))));
}

/** Whether the block at `address` existed before the change (under that or a renamed address). */
export function existedBefore(address: string, before: Inventory | undefined, movesAfter: readonly Move[]): boolean {
  return before !== undefined && earlierAddress(withoutInstanceKeys(address), before, movesAfter) !== undefined;
}

/**
 * Whether a finding of the configuration after the change is new in the change: its policy says
 * what that means (see Policy.isNew), given what is new about each address.
 */
export function isNewFinding(
  policy: Policy,
  finding: Finding,
  before: Inventory | undefined,
  after: Inventory,
): boolean {
  return policy.isNew(finding, (address) => noveltyOf(address, before, after));
}

/** `module.a["x"].aws_iam_user.u[0]` → `module.a.aws_iam_user.u`: blocks are matched by address, instances by key. */
export function withoutInstanceKeys(address: string): string {
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\]/g, "");
}

/** The address the block had before the change, following `moved` blocks (renamed resources, chains, moved module calls). */
function earlierAddress(bare: string, before: Inventory, moves: readonly Move[]): string | undefined {
  const renames = moves.map((m) => ({ from: withoutInstanceKeys(m.from), to: withoutInstanceKeys(m.to) }));
  const seen = new Set([bare]);
  const queue = [bare];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    if (before.addresses.has(current)) return current;
    for (const move of renames) {
      if (current !== move.to && !current.startsWith(`${move.to}.`)) continue;
      const earlier = move.from + current.slice(move.to.length);
      if (!seen.has(earlier)) {
        seen.add(earlier);
        queue.push(earlier);
      }
    }
  }
  return undefined;
}

/** The instance key at the end of an address (`aws_iam_user.u["ci"]` → `ci`, `[0]` → `0`). */
function instanceKeyOf(address: string): string | undefined {
  const match = /\[("(?:[^"\\]|\\.)*"|\d+)\]$/.exec(address);
  if (!match) return undefined;
  return match[1]!.startsWith('"') ? (JSON.parse(match[1]!) as string) : match[1];
}

function nonEmpty(keys: Set<string>): Novelty {
  return keys.size ? keys : "none";
}
