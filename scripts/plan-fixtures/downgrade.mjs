#!/usr/bin/env node
// Rewrite a real `terraform show -json` plan (format 1.2, Terraform 1.5+) into the
// shape an older Terraform would have written, so keygate can be tested against
// every plan format it claims to read without installing old Terraform releases.
//
// Usage: node downgrade.mjs PLAN.json VERSION > OUT.json
//   VERSION is 0.1, 0.2, 1.0, 1.1 or 1.2 (a real format: fields are removed), or
//   any other MAJOR.MINOR such as 2.0 (an unknown format: only the label changes).
// Output is pretty-printed with sorted keys, like `jq -S .`.
//
// Which fields each format added (sources: hashicorp/terraform pull requests and
// the JSON output format docs; minor versions only ever add fields):
//   0.1  Terraform 0.12.0 - 1.0.0. The 0.12 shape; during 0.15 it gained, without a
//        version bump, change.before_sensitive/after_sensitive and the configuration
//        variables' "sensitive" (#28201), change.replace_paths (#28608),
//        action_reason (#28544) and resource_drift. This script produces the plain
//        0.12-0.14 shape, the harder one to read, and says Terraform 0.14.11.
//   0.2  Terraform 1.0.1 - 1.0.11: "sensitive_values" beside "values" in the state
//        representations (planned_values, prior_state); prior_state's own
//        format_version went 0.1 -> 0.2 in the same change (#28889).
//   1.0  Terraform 1.1: the format declared stable (#29502); resource changes got
//        "previous_address" for moved objects (#29603) and the delete_because_*
//        action reasons (#29649).
//   1.1  Terraform 1.2 - 1.4: top-level "relevant_attributes" and a "type" on every
//        output in the state representations (#31537); "checks" came in 1.3 under
//        the same version.
//   1.2  Terraform 1.5 onwards: "timestamp", change.importing and
//        change.generated_config (plannable import), "errored" (#33372); later
//        releases added, under the same version, "applyable", "complete",
//        "deferred_changes", change.before_identity/after_identity and
//        "action_invocations".

import { readFileSync } from "node:fs";

const KNOWN = ["0.1", "0.2", "1.0", "1.1", "1.2"];

/** terraform_version written for each format: a release that wrote exactly that shape. */
const TERRAFORM_VERSION = { 0.1: "0.14.11", 0.2: "1.0.11", "1.0": "1.1.9", 1.1: "1.4.7" };

/** prior_state is a state representation with its own format_version. */
const STATE_FORMAT_VERSION = { 0.1: "0.1", 0.2: "0.2", "1.0": "1.0", 1.1: "1.0" };

const DELETE_REASONS_SINCE_1_0 = /^delete_because_/;
const REPLACE_REASONS_SINCE_1_1 = new Set(["replace_by_triggers"]);

function usage(message) {
  console.error(`downgrade.mjs: ${message}\nusage: node downgrade.mjs PLAN.json VERSION`);
  process.exit(2);
}

const [file, target] = process.argv.slice(2);
if (!file || !target) usage("two arguments are required");
if (!/^\d+\.\d+$/.test(target)) usage(`VERSION must look like MAJOR.MINOR, not ${JSON.stringify(target)}`);

const plan = JSON.parse(readFileSync(file, "utf8"));
if (plan.format_version !== "1.2")
  usage(`expected a format 1.2 plan, ${file} has ${JSON.stringify(plan.format_version)}`);
if (!Array.isArray(plan.resource_changes) && !plan.planned_values) usage(`${file} is not a plan`);

/** A version number comparable with <, e.g. "1.1" -> 1001. */
const rank = (v) => {
  const [major, minor] = v.split(".").map(Number);
  return major * 1000 + minor;
};
const below = (v) => KNOWN.includes(target) && rank(target) < rank(v);

function eachStateModule(state, visit) {
  const walk = (module) => {
    if (!module) return;
    visit(module);
    for (const child of module.child_modules ?? []) walk(child);
  };
  walk(state?.values?.root_module);
  walk(state?.root_module); // planned_values has no "values" wrapper
}

function stateRepresentations() {
  return [plan.planned_values, plan.prior_state].filter(Boolean);
}

function eachChange(visit) {
  for (const rc of [...(plan.resource_changes ?? []), ...(plan.resource_drift ?? [])]) visit(rc);
}

function eachConfigModule(visit) {
  const walk = (module) => {
    if (!module) return;
    visit(module);
    for (const call of Object.values(module.module_calls ?? {})) walk(call.module);
  };
  walk(plan.configuration?.root_module);
}

if (below("1.2")) {
  for (const key of [
    "timestamp",
    "errored",
    "applyable",
    "complete",
    "deferred_changes",
    "deferred_action_invocations",
    "action_invocations",
  ]) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing what older formats lack
    delete plan[key];
  }
  eachChange((rc) => {
    for (const key of ["importing", "generated_config", "before_identity", "after_identity"]) delete rc.change?.[key];
  });
}

if (below("1.1")) {
  delete plan.relevant_attributes;
  delete plan.checks;
  for (const state of stateRepresentations()) {
    const outputs = state.outputs ?? state.values?.outputs ?? {};
    for (const output of Object.values(outputs)) delete output.type;
  }
  eachChange((rc) => {
    if (REPLACE_REASONS_SINCE_1_1.has(rc.action_reason)) delete rc.action_reason;
  });
}

if (below("1.0")) {
  eachChange((rc) => {
    delete rc.previous_address;
    if (DELETE_REASONS_SINCE_1_0.test(rc.action_reason ?? "")) delete rc.action_reason;
  });
}

if (below("0.2")) {
  for (const state of stateRepresentations()) {
    eachStateModule(state, (module) => {
      for (const resource of module.resources ?? []) delete resource.sensitive_values;
    });
  }
  // The 0.15 additions that arrived while the format still said 0.1.
  delete plan.resource_drift;
  eachChange((rc) => {
    delete rc.action_reason;
    for (const key of ["before_sensitive", "after_sensitive", "replace_paths"]) delete rc.change?.[key];
  });
  for (const change of Object.values(plan.output_changes ?? {})) {
    delete change.before_sensitive;
    delete change.after_sensitive;
  }
  eachConfigModule((module) => {
    for (const variable of Object.values(module.variables ?? {})) delete variable.sensitive;
  });
}

plan.format_version = target;
if (TERRAFORM_VERSION[target]) plan.terraform_version = TERRAFORM_VERSION[target];
if (plan.prior_state && STATE_FORMAT_VERSION[target]) {
  plan.prior_state.format_version = STATE_FORMAT_VERSION[target];
  if (TERRAFORM_VERSION[target]) plan.prior_state.terraform_version = TERRAFORM_VERSION[target];
}

/** JSON with object keys sorted at every level, indented like `jq -S .`. */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

process.stdout.write(`${JSON.stringify(sortKeys(plan), null, 2)}\n`);
