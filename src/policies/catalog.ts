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
 * The shipped policies' data files as the build read them, each checked as {@link loadPolicies}
 * checks it, by file name: scripts/bundle.mjs puts them into the CLI's bundle (absent elsewhere).
 */
declare const KEYGATE_CHECKED_POLICY_DATA: Readonly<Record<string, string>> | undefined;
const checkedData: Readonly<Record<string, string>> =
  typeof KEYGATE_CHECKED_POLICY_DATA === "object" ? KEYGATE_CHECKED_POLICY_DATA : {};

/**
 * The registered policies, their data read and checked against `policies/policy.schema.json`,
 * in id order. Throws PolicyLoadError for data that is missing or invalid, or an id taken twice.
 * A data file that reads exactly as the build checked it (see {@link checkedPolicyData}) is not
 * checked against the schema again: the same text is the same data. Any other text is (an edited
 * or corrupt install, another version's file).
 */
export function loadPolicies(): Policy[] {
  if (cached) return cached;
  const policies = registered.map(({ definition }) => {
    const file = typeof definition.data === "string" ? definition.data : undefined;
    const where = file !== undefined ? join(POLICY_DIR, file) : "a policy's data";
    const read = file !== undefined ? readData(where) : undefined;
    const data = (read ? read.data : definition.data) as PolicyData;
    if (file === undefined || checkedData[file] !== read!.text) checkData(data, where);
    checkFileName(data, file, where);
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

/**
 * The registered policies' data files, by file name, as read, each checked as {@link loadPolicies}
 * checks it (throws PolicyLoadError as it does): what the build puts into the CLI's bundle.
 */
export function checkedPolicyData(): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const { definition } of registered) {
    if (typeof definition.data !== "string") continue;
    const where = join(POLICY_DIR, definition.data);
    const { text, data } = readData(where);
    checkData(data, where);
    checkFileName(data, definition.data, where);
    checked[definition.data] = text;
  }
  return checked;
}

function checkData(data: unknown, where: string): asserts data is PolicyData {
  const validate = policySchema();
  if (!validate(data)) throw new PolicyLoadError(`${where}: ${describeSchemaErrors(validate.errors).join(" ")}`);
}

function checkFileName(data: PolicyData, file: string | undefined, where: string): void {
  if (file !== undefined && `${data.id}.json` !== file) {
    throw new PolicyLoadError(`${where}: id "${data.id}" does not match the file name.`);
  }
}

/** The registered policy with this rule id (a finding's `ruleId`). */
export function policyFor(ruleId: string): Policy | undefined {
  return loadPolicies().find((p) => p.id === ruleId);
}

function readData(file: string): { text: string; data: unknown } {
  try {
    const text = readFileSync(file, "utf8");
    return { text, data: JSON.parse(text) as unknown };
  } catch (error) {
    throw new PolicyLoadError(`${file}: ${(error as Error).message}`);
  }
}
