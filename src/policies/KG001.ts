import { fingerprintOf, type Finding, type RelatedResource, type Severity } from "../findings.js";
import type { Configuration } from "../model/configuration.js";
import type { Evaluator } from "../model/expressions.js";
import { linkResources, type Link } from "../model/links.js";
import type { Policy } from "./catalog.js";

/**
 * KG001 over a configuration: one finding per created access key whose `user` is a user the same
 * configuration creates. The console password (a login profile for that user) is noted, because it
 * makes the user exactly the population the CIS control names.
 */
export async function evaluateKG001(policy: Policy, severity: Severity, configuration: Configuration, evaluator: Evaluator): Promise<Finding[]> {
  const keyLinks = await linkResources(
    configuration,
    { subjectType: policy.subject.type, linkAttribute: policy.subject.linkAttribute, targetType: policy.target.type, nameAttribute: policy.target.nameAttribute },
    evaluator,
  );
  const passwordLinks: Link[] = [];
  for (const aggravating of policy.aggravating.filter((a) => a.meaning === "console-password")) {
    passwordLinks.push(
      ...(await linkResources(
        configuration,
        { subjectType: aggravating.type, linkAttribute: aggravating.linkAttribute, targetType: policy.target.type, nameAttribute: policy.target.nameAttribute },
        evaluator,
      )),
    );
  }
  const bySubject = new Map<string, Link[]>();
  for (const link of keyLinks) bySubject.set(link.subject.address, [...(bySubject.get(link.subject.address) ?? []), link]);

  const findings: Finding[] = [];
  for (const [address, links] of bySubject) {
    const key = links[0]!.subject;
    const user = links[0]!;
    const profile = passwordLinks.find((p) => links.some((l) => p.target.resource === l.target.resource && p.target.instance === l.target.instance));
    const related: RelatedResource[] = links.map((l) => ({ role: "user" as const, address: l.target.address, location: l.target.resource.location }));
    if (profile) related.push({ role: "login-profile", address: profile.subject.address, location: profile.subject.resource.location });
    findings.push({
      ruleId: policy.id,
      ruleName: policy.alias,
      severity,
      source: "hcl",
      resource: address,
      location: key.resource.location,
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
      fingerprint: fingerprintOf({ ruleId: policy.id, file: key.resource.location.file, resource: address, related: links.map((l) => l.target.address) }),
      suppressed: null,
      notes: [],
    });
  }
  return findings;
}
