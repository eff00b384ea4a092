import type { Finding, RelatedResource, SourceLocation } from "../../findings.js";
import {
  catalogOf,
  qualify,
  remoteBoundary,
  type Configuration,
  type ModuleInstance,
} from "../../model/configuration.js";
import { decideBool, newTrace, shownText, textOf, type Evaluator } from "../../model/expressions.js";
import {
  createdResources,
  moduleExistence,
  residualOf,
  withResidual,
  type Link,
  type PlacedResource,
} from "../../model/links.js";
import { conditionSource, type CatalogEntry, type CatalogMatch } from "../../model/module-catalog.js";
import { writtenText } from "../../model/written.js";
import type { KG001Context } from "./data.js";
import type { KG001Evidence, ModuleInputValue } from "./evidence.js";

/** What the catalog says a module call creates, evaluated with the call's arguments. */
interface CatalogVerdict {
  entry: CatalogEntry;
  inputs: ModuleInputValue[];
  /** Inputs whose value could not be decided (assumed true), and a note when the version left several entries. */
  undecided: string[];
  /** Whether the module also creates a console password for the user (true when undecided: fail closed). */
  loginProfile: boolean;
  /** The key's address when it is known better than the catalog's first name for it. */
  key?: string;
}

/**
 * KG001 findings on module calls: a registry or git module (downloaded, or described by the module
 * catalog) that creates an access key for a user created in the same configuration is reported on
 * its call in the user's code (`resource` = `module.NAME`), with the inputs that made it create the
 * pair and the argument that turns the key off. `links` are the key-to-user links whose key lies in
 * such a module; `passwords` the login-profile links of the configuration.
 */
export async function moduleCallFindings(
  context: KG001Context,
  configuration: Configuration,
  evaluator: Evaluator,
  links: readonly Link[],
  passwords: readonly Link[],
): Promise<Finding<KG001Evidence>[]> {
  const byBoundary = new Map<ModuleInstance, Link[]>();
  for (const link of links) {
    const boundary = remoteBoundary(link.subject.instance)!;
    byBoundary.set(boundary, [...(byBoundary.get(boundary) ?? []), link]);
  }
  // The catalog's verdict on every call it describes: it decides the inputs shown, and it also
  // catches what linking cannot see (another version of the module, a key of another resource type).
  const verdicts = new Map<ModuleInstance, CatalogVerdict>();
  for (const instance of configuration.instances) {
    const match = catalogOf(instance);
    if (!match || remoteBoundary(instance) !== instance) continue;
    const verdict = await catalogVerdict(instance, match, evaluator);
    if (verdict) verdicts.set(instance, verdict);
  }
  // Downloaded code is read as it is: the catalog's verdict stands on its own only for a key of a
  // type linking does not know (cloudposse's awsutils_expiring_iam_access_key) that the code creates.
  for (const [instance, verdict] of verdicts) {
    if (instance.origin.kind !== "downloaded" || byBoundary.has(instance)) continue;
    const otherKey = await otherKeyOf(configuration, instance, verdict.entry, context.data.subject.type, evaluator);
    if (otherKey) verdict.key = otherKey;
    else verdicts.delete(instance);
  }
  const findings: Finding<KG001Evidence>[] = [];
  for (const boundary of new Set([...byBoundary.keys(), ...verdicts.keys()])) {
    const existence = await moduleExistence(boundary, evaluator);
    if (existence === "absent") continue;
    findings.push(
      finding(context, boundary, byBoundary.get(boundary) ?? [], verdicts.get(boundary), passwords, existence),
    );
  }
  return findings;
}

/** The address of a key of another type than the policy's that the downloaded module creates, as the catalog names it. */
async function otherKeyOf(
  configuration: Configuration,
  instance: ModuleInstance,
  entry: CatalogEntry,
  keyType: string,
  evaluator: Evaluator,
): Promise<string | undefined> {
  for (const address of [entry.accessKey.address, ...(entry.accessKey.alternatives ?? [])]) {
    const type = address.split(".").at(-2) ?? "";
    if (type === keyType) continue;
    const created = await createdResources(configuration, type, evaluator);
    const found = created.find((p) => p.address === qualify(instance, address));
    if (found) return found.address;
  }
  return undefined;
}

function finding(
  context: KG001Context,
  boundary: ModuleInstance,
  links: readonly Link[],
  verdict: CatalogVerdict | undefined,
  passwords: readonly Link[],
  existence: string[],
): Finding<KG001Evidence> {
  const call = boundary.call!;
  const first = links[0];
  const entry = verdict?.entry;
  const users: RelatedResource[] = links.length
    ? [
        ...new Map(
          links.map((l) => [
            l.target.address,
            { role: "user" as const, address: l.target.address, location: visibleLocation(l.target) },
          ]),
        ).values(),
      ]
    : [{ role: "user", address: qualify(boundary, entry!.user.address), location: call.location }];
  const password = passwords.find((p) =>
    links.some((l) => p.target.resource === l.target.resource && p.target.instance === l.target.instance),
  );
  const loginProfile =
    password?.subject.address ??
    (entry?.loginProfile && verdict?.loginProfile ? qualify(boundary, entry.loginProfile.address) : undefined);
  const related = [
    ...users,
    ...(loginProfile
      ? [
          {
            role: "login-profile" as const,
            address: loginProfile,
            location: password ? visibleLocation(password.subject) : call.location,
          },
        ]
      : []),
  ];
  // The synthetic count expressions of a catalogued module say nothing the inputs do not say better.
  const fromLinks = boundary.origin.kind === "catalog" ? [] : links.flatMap((l) => l.undecided);
  const undecided = [...new Set([...existence, ...fromLinks, ...(verdict?.undecided ?? [])])];
  const origin = boundary.origin;
  const version = origin.kind === "downloaded" ? (origin.version ?? call.version) : call.version;
  return context.report({
    source: "hcl",
    resource: boundary.address,
    location: call.location,
    related,
    evidence: {
      kind: "module-call",
      module: boundary.address,
      source: call.source ?? "",
      ...(version !== undefined ? { version } : {}),
      analysis: origin.kind === "downloaded" && links.length > 0 ? "downloaded" : "catalog",
      ...(entry ? { catalogEntry: entry.id } : {}),
      key: first?.subject.address ?? verdict?.key ?? qualify(boundary, entry!.accessKey.address),
      user: users[0]!.address,
      ...(first?.targetName !== undefined ? { userName: first.targetName } : {}),
      route: first?.route ?? "reference",
      inputs: verdict?.inputs ?? [],
      ...(entry ? { fix: entry.accessKey.fix } : {}),
      ...(loginProfile ? { loginProfile } : {}),
      undecided,
    },
    // The users identify it, not the console password.
    identity: { related: users.map((u) => u.address) },
  });
}

/**
 * Evaluates the catalog's conditions for a call, entry by entry (newest first) when its version
 * allows several: the first entry under which the call creates both the user and the key is taken
 * (the more dangerous reading). None of them: no verdict.
 */
async function catalogVerdict(
  instance: ModuleInstance,
  match: CatalogMatch,
  evaluator: Evaluator,
): Promise<CatalogVerdict | undefined> {
  for (const entry of match.candidates) {
    const inputs: ModuleInputValue[] = [];
    const undecided: string[] = [];
    let absent = false;
    for (const name of [...new Set([...entry.user.when, ...entry.accessKey.when])]) {
      const { shown, decided } = await evaluateInput(instance, entry, name, evaluator);
      inputs.push({ name, value: shown, from: instance.call && name in instance.call.inputs ? "argument" : "default" });
      if (decided === false) absent = true;
      else if (decided !== true) undecided.push(`${name} = ${shown}`);
    }
    if (absent) continue;
    let loginProfile = false;
    if (entry.loginProfile) {
      const decisions = await Promise.all(
        entry.loginProfile.when.map(async (name) => (await evaluateInput(instance, entry, name, evaluator)).decided),
      );
      loginProfile = decisions.every((d) => d !== false);
    }
    if (match.versionNote)
      undecided.push(`${match.versionNote}; keygate assumed ${entry.id}, under which the call creates both`);
    return { entry, inputs, undecided, loginProfile };
  }
  return undefined;
}

async function evaluateInput(
  instance: ModuleInstance,
  entry: CatalogEntry,
  name: string,
  evaluator: Evaluator,
): Promise<{ shown: string; decided: boolean | "error" | undefined }> {
  const trace = newTrace();
  const value = await evaluator.evaluateSource(conditionSource(entry, name), { instance }, trace);
  const decided = decideBool(value);
  const argument = instance.call?.inputs[name];
  // A decided value is shown as a value; an undecided one as the argument the user wrote, with what
  // is left undecided of it (never the checkout's directory).
  let shown: string;
  if (decided === true || decided === false) shown = String(decided);
  else if (argument !== undefined) shown = withResidual(writtenText(argument), trace, value);
  else {
    // Not set: the catalog's fallback (context.enabled, say) decides; name what it comes to.
    const residual = residualOf(trace, value);
    shown = residual.length === 1 ? residual[0]! : shownText(textOf(value));
  }
  return { shown, decided };
}

/** Where a resource shows in the user's code: a resource inside a downloaded or catalogued module shows at its call. */
export function visibleLocation(placed: PlacedResource): SourceLocation {
  const boundary = remoteBoundary(placed.instance);
  return boundary?.call ? boundary.call.location : placed.resource.location;
}
