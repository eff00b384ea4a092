import { isLiveKeyEvidence } from "../../live/evidence.js";
import { definePolicy } from "../policy.js";
import { checkConfiguration, checkPlan } from "./checks.js";
import type { KG001Data } from "./data.js";
import type { KG001Evidence } from "./evidence.js";
import { details, fix, message, RELATED, shortMessage, suppressAbove } from "./messages.js";

/**
 * KG001 access-key-created-with-user: an IAM user must not get an access key during its initial
 * setup (CIS AWS Foundations 1.11 / 1.10 / 2.10). Its data is policies/KG001.json.
 */
export default definePolicy<KG001Data, KG001Evidence>({
  data: "KG001.json",
  reads: (data) => ({
    types: [...new Set([data.subject.type, data.target.type, ...(data.aggravating ?? []).map((a) => a.type)])],
    attributes: [
      ...new Set([
        data.subject.linkAttribute,
        data.target.nameAttribute,
        ...(data.aggravating ?? []).map((a) => a.linkAttribute),
      ]),
    ],
    reportedOn: [data.subject.type, data.target.type],
  }),
  checkConfiguration,
  checkPlan,
  async checkAccount(request, context) {
    // Loaded on demand: the AWS SDK is not part of the scan (nor of the Action's bundle).
    const { auditCredentialReport, auditLive } = await import("../../live/index.js");
    const audit =
      request.kind === "account" ? await auditLive(request.options) : await auditCredentialReport(request.options);
    // The audit's findings are made again by the policy, so that their rule is KG001's (the same fingerprints).
    const findings = audit.findings.flatMap((f) =>
      isLiveKeyEvidence(f.evidence)
        ? [
            context.report({
              source: f.source,
              resource: f.resource,
              location: f.location,
              related: f.related,
              evidence: f.evidence,
              severity: f.severity,
            }),
          ]
        : [],
    );
    return { ...audit, findings };
  },
  // A pair is new in a change when its key and one of its users are both new; with for_each over
  // the users (known keys on both sides), the new keys must be new users' keys.
  isNew(finding, novelty) {
    const key = novelty(finding.resource);
    if (key === "none") return false;
    const users = finding.related.filter((r) => r.role === "user").map((r) => r.address);
    if (users.length === 0) return true;
    const perInstance = "route" in finding.evidence && finding.evidence.route === "for-each";
    return users.some((address) => {
      const user = novelty(address);
      if (user === "none") return false;
      if (perInstance && key instanceof Set && user instanceof Set) return [...key].some((k) => user.has(k));
      return true;
    });
  },
  messages: { message, short: shortMessage, fix, details, suppressAbove, related: RELATED },
});
