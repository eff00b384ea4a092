import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { PolicyInfo } from "../policy-info.js";
import { compileSchema, describeSchemaErrors, lazySchema } from "../load/validate.js";
import { PACKAGE_ROOT, policyDocsUrl } from "../package.js";

export { findPolicy, type CisReference } from "../policy-info.js";

/** A resource type that refers to a user through one of its attributes. */
export interface LinkedType {
  type: string;
  linkAttribute: string;
  meaning?: string;
}

/** A policy as data (`policies/<id>.json`), plus its derived docs link. */
export interface Policy extends PolicyInfo {
  subject: LinkedType;
  target: { type: string; nameAttribute: string };
  aggravating: LinkedType[];
}

/** Raised when a policy file is not valid: a packaging bug, reported like any other input error. */
export class PolicyLoadError extends Error {}

/** The directory that ships the policies. */
export const POLICY_DIR = join(PACKAGE_ROOT, "policies");

let cached: Policy[] | undefined;
const policySchema = lazySchema<Omit<Policy, "docsUrl">>("policy.schema.json");

/** Loads and validates every `policies/KG*.json` against `policies/policy.schema.json`. */
export function loadPolicies(dir: string = POLICY_DIR): Policy[] {
  if (dir === POLICY_DIR && cached) return cached;
  const validate =
    dir === POLICY_DIR
      ? policySchema()
      : compileSchema<Omit<Policy, "docsUrl">>(
          JSON.parse(readFileSync(join(dir, "policy.schema.json"), "utf8")) as object,
        );
  const policies: Policy[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => /^KG\d{3}\.json$/.test(f))
    .sort()) {
    const file = join(dir, name);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new PolicyLoadError(`${file}: ${(error as Error).message}`);
    }
    if (!validate(data)) {
      throw new PolicyLoadError(`${file}: ${describeSchemaErrors(validate.errors).join(" ")}`);
    }
    if (`${data.id}.json` !== name) throw new PolicyLoadError(`${file}: id "${data.id}" does not match the file name.`);
    // Optional in the schema, though the validator's type (Policy's) says otherwise.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    policies.push({ ...data, aggravating: data.aggravating ?? [], docsUrl: policyDocsUrl(data.id) });
  }
  if (dir === POLICY_DIR) cached = policies;
  return policies;
}
