import type { Finding, Severity } from "../findings.js";
import type { Configuration } from "../model/configuration.js";
import type { Evaluator } from "../model/expressions.js";
import type { Policy } from "./catalog.js";
import type { PlanFile } from "../load/plan.js";
import { evaluateKG001, evaluateKG001Plan, type SourceLocator } from "./KG001.js";

/** The part of a policy that cannot be data: how it is checked against a configuration. */
export type ConfigurationCheck = (
  policy: Policy,
  severity: Severity,
  configuration: Configuration,
  evaluator: Evaluator,
) => Promise<Finding[]>;

/** Evaluation logic by policy id; every policy in `policies/` must have an entry (checked by a test). */
export const CONFIGURATION_CHECKS: Readonly<Record<string, ConfigurationCheck>> = {
  KG001: evaluateKG001,
};

/** How a policy is checked against a plan (`terraform show -json`). */
export type PlanCheck = (policy: Policy, severity: Severity, plan: PlanFile, locateSource?: SourceLocator) => Finding[];

/** Plan evaluation by policy id. */
export const PLAN_CHECKS: Readonly<Record<string, PlanCheck>> = {
  KG001: evaluateKG001Plan,
};
