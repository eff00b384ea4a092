import { definePolicy } from "../policy.js";
import { checkAccount } from "./account.js";
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
  checkAccount,
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
