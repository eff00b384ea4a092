import type { Finding, RelatedResource, SourceLocation } from "../../findings.js";
import { locateResourceChanges, type PlanFile } from "../../load/plan.js";
import { remoteBoundary, type Configuration, type ModuleInstance } from "../../model/configuration.js";
import type { Evaluator } from "../../model/expressions.js";
import { linkResources, type Link } from "../../model/links.js";
import type { Resource } from "../../model/module.js";
import { configAddress, linkPlannedResources, type PlanLink } from "../../model/plan.js";
import type { SourceLocator } from "../policy.js";
import type { KG001Context } from "./data.js";
import type { KG001Evidence } from "./evidence.js";
import { moduleCallFindings, visibleLocation } from "./module-calls.js";

/**
 * KG001 over a configuration: one finding per created access key whose `user` is a user the same
 * configuration creates. The console password (a login profile for that user) is noted, because it
 * makes the user exactly the population the CIS control names. A key inside a registry or git
 * module (downloaded, or described by the module catalog) is reported on that module's call.
 */
export async function checkConfiguration(
  configuration: Configuration,
  evaluator: Evaluator,
  context: KG001Context,
): Promise<Finding<KG001Evidence>[]> {
  const policy = context.data;
  const keyLinks = await linkResources(
    configuration,
    {
      subjectType: policy.subject.type,
      linkAttribute: policy.subject.linkAttribute,
      targetType: policy.target.type,
      nameAttribute: policy.target.nameAttribute,
    },
    evaluator,
  );
  const passwordLinks: Link[] = [];
  for (const aggravating of (policy.aggravating ?? []).filter((a) => a.meaning === "console-password")) {
    passwordLinks.push(
      ...(await linkResources(
        configuration,
        {
          subjectType: aggravating.type,
          linkAttribute: aggravating.linkAttribute,
          targetType: policy.target.type,
          nameAttribute: policy.target.nameAttribute,
        },
        evaluator,
      )),
    );
  }
  const bySubject = new Map<string, Link[]>();
  const inModules: Link[] = [];
  for (const link of keyLinks) {
    if (remoteBoundary(link.subject.instance)) inModules.push(link);
    else bySubject.set(link.subject.address, [...(bySubject.get(link.subject.address) ?? []), link]);
  }

  const findings: Finding<KG001Evidence>[] = await moduleCallFindings(
    context,
    configuration,
    evaluator,
    inModules,
    passwordLinks,
  );
  for (const [address, links] of bySubject) {
    const key = links[0]!.subject;
    const user = links[0]!;
    const profile = passwordLinks.find((p) =>
      links.some((l) => p.target.resource === l.target.resource && p.target.instance === l.target.instance),
    );
    const related: RelatedResource[] = links.map((l) => ({
      role: "user" as const,
      address: l.target.address,
      location: visibleLocation(l.target),
    }));
    if (profile)
      related.push({
        role: "login-profile",
        address: profile.subject.address,
        location: visibleLocation(profile.subject),
      });
    // A key inside a local module: the calls that instantiate it, from the root (one finding per calling instance).
    const calls = callChain(key.instance);
    related.push(...calls);
    findings.push(
      context.report({
        source: "hcl",
        resource: address,
        location: decidingLocation(key.resource, policy.subject.linkAttribute),
        related,
        evidence: {
          kind: "static-pair",
          key: address,
          user: user.target.address,
          ...(user.targetName !== undefined ? { userName: user.targetName } : {}),
          route: user.route,
          ...(profile ? { loginProfile: profile.subject.address } : {}),
          undecided: [...new Set(links.flatMap((l) => l.undecided))],
        },
        // The calls' files tell apart the roots that instantiate a shared module under the same call name.
        identity: {
          file: key.resource.location.file,
          related: [...links.map((l) => l.target.address), ...calls.map((c) => `${c.address} ${c.location!.file}`)],
        },
      }),
    );
  }
  return findings;
}

/**
 * KG001 over a plan: one finding per access key instance the plan creates for a user it also
 * creates (a create or a replace). A key created for a user the plan leaves alone (no-op, update,
 * read) is the separate, later step CIS asks for.
 */
export function checkPlan(
  planFile: PlanFile,
  context: KG001Context & { locateSource: SourceLocator | undefined },
): Finding<KG001Evidence>[] {
  const { data: policy, locateSource } = context;
  const spec = {
    subjectType: policy.subject.type,
    linkAttribute: policy.subject.linkAttribute,
    targetType: policy.target.type,
    nameAttribute: policy.target.nameAttribute,
  };
  const keyLinks = linkPlannedResources(planFile.plan, spec);
  const passwordLinks = (policy.aggravating ?? [])
    .filter((a) => a.meaning === "console-password")
    .flatMap((a) =>
      linkPlannedResources(planFile.plan, { ...spec, subjectType: a.type, linkAttribute: a.linkAttribute }),
    );
  const addresses = [
    ...new Set([...keyLinks, ...passwordLinks].flatMap((l) => [l.subject.change.address, l.target.change.address])),
  ];
  const positions = locateResourceChanges(planFile.text, addresses);
  const at = (address: string): SourceLocation => {
    const p = positions.get(address);
    return {
      file: planFile.file,
      line: p?.line ?? 1,
      column: p?.column ?? 1,
      endLine: p?.endLine ?? 1,
      endColumn: p?.endColumn ?? 1,
    };
  };

  const bySubject = new Map<string, PlanLink[]>();
  for (const link of keyLinks)
    bySubject.set(link.subject.change.address, [...(bySubject.get(link.subject.change.address) ?? []), link]);
  const findings: Finding<KG001Evidence>[] = [];
  for (const [address, links] of bySubject) {
    const first = links[0]!;
    const profile = passwordLinks.find((p) => links.some((l) => p.target.change.address === l.target.change.address));
    const related: RelatedResource[] = links.map((l) => ({
      role: "user" as const,
      address: l.target.change.address,
      location: at(l.target.change.address),
    }));
    if (profile)
      related.push({
        role: "login-profile",
        address: profile.subject.change.address,
        location: at(profile.subject.change.address),
      });
    if (locateSource) {
      for (const resourceAddress of [address, ...links.map((l) => l.target.change.address)]) {
        const source = locateSource(configAddress(resourceAddress));
        if (source) related.push({ role: "source", address: configAddress(resourceAddress), location: source });
      }
    }
    findings.push(
      context.report({
        source: "plan",
        resource: address,
        location: at(address),
        related,
        evidence: {
          kind: "static-pair",
          key: address,
          user: first.target.change.address,
          ...(first.targetName !== undefined ? { userName: first.targetName } : {}),
          route: first.route,
          ...(profile ? { loginProfile: profile.subject.change.address } : {}),
          undecided: [],
        },
        // The users identify it, not the console password nor the sources.
        identity: { related: links.map((l) => l.target.change.address) },
      }),
    );
  }
  return findings;
}

/**
 * Where a key is reported: its block, or the argument of an override block (see model/overrides.ts)
 * that set what decided the finding: the key's `user`, `count` or `for_each`.
 */
function decidingLocation(resource: Resource, linkAttribute: string): SourceLocation {
  for (const attribute of [linkAttribute, "count", "for_each"]) {
    const at = resource.overriddenBy?.[attribute];
    if (at) return at;
  }
  return resource.location;
}

/** The `module` blocks that instantiate a module instance, outermost first, as related locations (none for the root). */
function callChain(instance: ModuleInstance): RelatedResource[] {
  const chain: RelatedResource[] = [];
  for (let i: ModuleInstance | undefined = instance; i?.call; i = i.parent)
    chain.unshift({ role: "module-call", address: i.address, location: i.call.location });
  return chain;
}
