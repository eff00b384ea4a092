import type { Severity } from "./findings.js";

/** A CIS benchmark control that a policy implements. */
export interface CisReference {
  benchmark: string;
  versions: string[];
  control: string;
}

/** What every layer may know of a policy: who it is, what it is about, how to fix it, where its docs are. */
export interface PolicyInfo {
  id: string;
  alias: string;
  title: string;
  severity: Severity;
  cis: CisReference[];
  rationale: string;
  remediation: string;
  docsUrl: string;
}

/** Finds a policy by id (`KG001`) or alias (`access-key-created-with-user`), case-insensitively for the id. */
export function findPolicy<P extends PolicyInfo>(policies: readonly P[], idOrAlias: string): P | undefined {
  return policies.find((p) => p.id === idOrAlias.toUpperCase() || p.alias === idOrAlias);
}
