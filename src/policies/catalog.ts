import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeSchemaErrors, lazySchema } from "../load/validate.js";
import { PACKAGE_ROOT, policyDocsUrl } from "../package.js";
import { findPolicy } from "../policy-info.js";
import KG001 from "./KG001/index.js";
import { bindPolicy, type Policy, type PolicyData, type PolicyModule } from "./policy.js";

export { findPolicy, type CisReference } from "../policy-info.js";
export type { Policy } from "./policy.js";

/** Raised when a policy's data is not valid: a packaging bug, reported like any other input error. */
export class PolicyLoadError extends Error {}

/** The directory that ships the policies' data (`policies/<id>.json`) and their schema. */
export const POLICY_DIR = join(PACKAGE_ROOT, "policies");

const registered: PolicyModule[] = [];
let cached: Policy[] | undefined;
const policySchema = lazySchema<PolicyData>("policy.schema.json");

/**
 * Registers a policy module (see policy.ts): every command, check, report and `keygate policies`
 * know it from then on. Returns what unregisters it (tests register policies of their own).
 */
export function registerPolicy(policy: PolicyModule): () => void {
  registered.push(policy);
  cached = undefined;
  return () => {
    const at = registered.indexOf(policy);
    if (at !== -1) registered.splice(at, 1);
    cached = undefined;
  };
}

// The policies keygate ships: one line each.
registerPolicy(KG001);

/**
 * The registered policies, their data read and checked against `policies/policy.schema.json`,
 * in id order. Throws PolicyLoadError for data that is missing or invalid, or an id taken twice.
 */
export function loadPolicies(): Policy[] {
  if (cached) return cached;
  const policies = registered.map(({ definition }) => {
    const where = typeof definition.data === "string" ? join(POLICY_DIR, definition.data) : "a policy's data";
    const data = typeof definition.data === "string" ? readData(where) : definition.data;
    const validate = policySchema();
    if (!validate(data)) throw new PolicyLoadError(`${where}: ${describeSchemaErrors(validate.errors).join(" ")}`);
    if (typeof definition.data === "string" && `${data.id}.json` !== definition.data) {
      throw new PolicyLoadError(`${where}: id "${data.id}" does not match the file name.`);
    }
    return bindPolicy(definition, data, policyDocsUrl(data.id));
  });
  for (const [i, policy] of policies.entries()) {
    const other = findPolicy(policies.slice(0, i), policy.id) ?? findPolicy(policies.slice(0, i), policy.alias);
    if (other)
      throw new PolicyLoadError(
        `policy ${policy.id} (${policy.alias}): the id or alias of ${other.id} (${other.alias}) again`,
      );
  }
  cached = policies.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return cached;
}

/** The registered policy with this rule id (a finding's `ruleId`). */
export function policyFor(ruleId: string): Policy | undefined {
  return loadPolicies().find((p) => p.id === ruleId);
}

function readData(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new PolicyLoadError(`${file}: ${(error as Error).message}`);
  }
}
