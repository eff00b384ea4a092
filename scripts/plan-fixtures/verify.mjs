#!/usr/bin/env node
// Check the plan fixtures under test/fixtures/plans/ against their expectations,
// independently of keygate: a deliberately small reading of each plan decides
// which access keys the plan creates together with their user, and that list is
// compared with examples.expect.json, each scenario's case.json, and the
// `# expect: KG001` markers in examples/. Also checks the special inputs and that
// the fake provider credentials appear nowhere but in the provider configuration.
//
// Usage: node scripts/plan-fixtures/verify.mjs   (generate.sh runs it last)
// Exits 1 and lists every problem when something does not match.

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtures = join(repo, "test", "fixtures", "plans");
const FAKE_CREDENTIALS = ["AKIAFIXTUREFIXTURE00", "fixture"];

const problems = [];
const rows = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const rel = (file) => relative(repo, file);

const creates = (rc) => rc.mode === "managed" && rc.change?.actions?.includes("create");
const ofType = (type) => (rc) => rc.type === type;

/** The module_address of a resource change, without instance keys: module.a["x"].module.b -> ["a", "b"]. */
function modulePath(moduleAddress) {
  if (!moduleAddress) return [];
  return [...moduleAddress.matchAll(/module\.([A-Za-z0-9_-]+)(\[[^\]]*\])?/g)].map((m) => m[1]);
}

function configModule(plan, path) {
  let module = plan.configuration?.root_module;
  for (const name of path) module = module?.module_calls?.[name]?.module;
  return module;
}

/**
 * Keys the plan creates together with a user it creates. A key is tied to a user
 * when its planned `user` equals the user's planned name, or, when that name is
 * unknown until apply, when the key's configuration references the user
 * resource in the same module instance (same index when both are repeated).
 */
function findingsOf(plan) {
  const changes = plan.resource_changes ?? [];
  const users = changes.filter(ofType("aws_iam_user")).filter(creates);
  const keys = changes.filter(ofType("aws_iam_access_key")).filter(creates);
  const found = [];
  for (const key of keys) {
    const userName = key.change.after?.user;
    let linked;
    if (typeof userName === "string") {
      linked = users.some((user) => user.change.after?.name === userName);
    } else if (key.change.after_unknown?.user === true) {
      const config = configModule(plan, modulePath(key.module_address))?.resources?.find(
        (r) => r.address === `${key.type}.${key.name}`,
      );
      const refs = config?.expressions?.user?.references ?? [];
      const target = refs.map((r) => /^aws_iam_user\.([A-Za-z0-9_-]+)$/.exec(r)?.[1]).find(Boolean);
      if (!target) throw new Error(`${key.address}: unknown user and no aws_iam_user reference; extend verify.mjs`);
      linked = users.some(
        (user) => user.name === target && user.module_address === key.module_address && user.index === key.index,
      );
    } else {
      linked = false;
    }
    if (linked) found.push({ ruleId: "KG001", resource: key.address });
  }
  return found;
}

const byResource = (a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0);
const show = (list) => JSON.stringify(list.map((f) => f.resource));

function compareFindings(where, actual, expected) {
  const a = [...actual].sort(byResource);
  const e = [...expected].sort(byResource);
  if (JSON.stringify(a) !== JSON.stringify(e)) problem(where, `findings ${show(a)}, expected ${show(e)}`);
}

/** Every string in a JSON value, with its path. */
function* strings(value, path = []) {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, [...path, i]);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k]);
}

function checkCredentials(where, plan) {
  for (const [path, value] of strings(plan)) {
    if (!FAKE_CREDENTIALS.includes(value)) continue;
    const allowed =
      path[0] === "configuration" &&
      path[1] === "provider_config" &&
      path[3] === "expressions" &&
      ["access_key", "secret_key"].includes(path[4]) &&
      path[5] === "constant_value";
    if (!allowed) problem(where, `fake credential ${JSON.stringify(value)} at ${path.join(".")}`);
  }
}

function checkRealPlan(where, plan) {
  if (plan.format_version !== "1.2") problem(where, `format_version ${plan.format_version}, expected 1.2`);
  if (plan.errored !== false) problem(where, "errored is not false");
  if (plan.complete !== true) problem(where, "complete is not true");
  if (plan.timestamp !== "2025-01-01T00:00:00Z" && !process.env.KEEP_TIMESTAMPS)
    problem(where, "timestamp is not pinned");
  checkCredentials(where, plan);
}

const verdict = (findings) => (findings.length ? findings.map((f) => f.resource).join(", ") : "compliant");

// --- examples ---------------------------------------------------------------

/** The `# expect: KG001` markers of an example folder (on a key's header or on an argument in it): key names, suppressed or not. */
function markersOf(folder) {
  const markers = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const file = join(dir, entry);
      if (statSync(file).isDirectory()) {
        if (entry !== ".terraform") walk(file);
        continue;
      }
      const text = readFileSync(file, "utf8");
      const mentions = (text.match(/expect:\s*KG001/g) ?? []).length;
      let parsed = 0;
      if (/\.(tf|tofu)$/.test(entry)) {
        // On a key block's header, or on the argument inside it that decided the finding (an override's `user`).
        let block;
        for (const line of text.split("\n")) {
          const header = /^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{/.exec(line);
          if (header) block = { type: header[1], name: header[2] };
          else if (/^\S/.test(line)) block = undefined;
          const m = /#\s*expect:\s*KG001( suppressed)?\s*$/.exec(line);
          if (m && block?.type === "aws_iam_access_key" && (header || /^\s+[\w-]+\s*=/.test(line))) {
            markers.push({ name: block.name, suppressed: Boolean(m[1]) });
            parsed++;
          }
        }
      } else if (/\.(tf|tofu)\.json$/.test(entry)) {
        for (const [name, body] of Object.entries(JSON.parse(text).resource?.aws_iam_access_key ?? {})) {
          const m = /^expect: KG001( suppressed)?$/.exec(body["//"] ?? "");
          if (m) {
            markers.push({ name, suppressed: Boolean(m[1]) });
            parsed++;
          }
        }
      }
      if (mentions !== parsed)
        problem(rel(file), `${mentions} "expect: KG001" mentions but ${parsed} well-placed markers`);
    }
  };
  walk(folder);
  return markers;
}

const exampleRoot = join(repo, "examples");
// Every folder of examples/ is a configuration Terraform accepts (those it refuses are in examples-input-errors/).
const exampleFolders = readdirSync(exampleRoot).filter(
  (name) => name !== "ci" && statSync(join(exampleRoot, name)).isDirectory(),
);
const exampleExpect = readJson(join(fixtures, "examples.expect.json"));
const examplePlans = readdirSync(join(fixtures, "examples")).filter((f) => f.endsWith(".json"));

for (const file of examplePlans) {
  if (!exampleFolders.includes(file.replace(/\.json$/, ""))) problem(`examples/${file}`, "no such example folder");
}
for (const name of exampleFolders) {
  const where = `examples/${name}.json`;
  const file = join(fixtures, "examples", `${name}.json`);
  if (!existsSync(file)) {
    problem(where, "missing: run scripts/plan-fixtures/generate.sh");
    continue;
  }
  const plan = readJson(file);
  checkRealPlan(where, plan);
  const found = findingsOf(plan);
  if (!(name in exampleExpect)) problem("examples.expect.json", `no entry for ${name}`);
  else compareFindings(where, found, exampleExpect[name]);

  // The plan's findings, one per key block, must be the blocks marked in the source.
  const blocks = [
    ...new Set(
      found.map(
        (f) =>
          f.resource
            .replace(/\[[^\]]*\]/g, "")
            .split(".")
            .slice(-1)[0],
      ),
    ),
  ].sort();
  const marked = markersOf(join(exampleRoot, name));
  const markedNames = [...new Set(marked.map((m) => m.name))].sort();
  if (JSON.stringify(blocks) !== JSON.stringify(markedNames)) {
    problem(
      `examples/${name}`,
      `markers on ${JSON.stringify(markedNames)}, plan findings on ${JSON.stringify(blocks)}`,
    );
  }
  const suppressed = marked.filter((m) => m.suppressed).length;
  rows.push([where, verdict(found) + (suppressed ? ` (${suppressed} marked suppressed in HCL)` : "")]);
}

// --- scenarios --------------------------------------------------------------

const scenarioRoot = join(fixtures, "scenarios");
for (const name of readdirSync(scenarioRoot)) {
  const where = `scenarios/${name}`;
  const dir = join(scenarioRoot, name);
  if (!existsSync(join(dir, "case.json"))) {
    problem(where, "no case.json");
    continue;
  }
  if (!existsSync(join(dir, "plan.json"))) {
    problem(where, "no plan.json: run scripts/plan-fixtures/generate.sh");
    continue;
  }
  const spec = readJson(join(dir, "case.json"));
  const plan = readJson(join(dir, "plan.json"));
  if (typeof spec.description !== "string" || !Array.isArray(spec.replace) || !Array.isArray(spec.expect)) {
    problem(`${where}/case.json`, "needs description (string), replace (array) and expect (array)");
    continue;
  }
  checkRealPlan(where, plan);
  const found = findingsOf(plan);
  compareFindings(where, found, spec.expect);
  for (const address of spec.replace) {
    const rc = plan.resource_changes?.find((c) => c.address === address);
    if (rc?.action_reason !== "replace_by_request") problem(where, `${address} is not replaced by request`);
  }
  rows.push([`${where}/plan.json`, verdict(found)]);
}

// --- special inputs ---------------------------------------------------------

const special = (file) => join(fixtures, "special", file);

{
  const state = readJson(special("state.json"));
  if (!state.values || "resource_changes" in state || "planned_values" in state) {
    problem("special/state.json", "is not a state rendering (values, no resource_changes/planned_values)");
  }
  checkCredentials("special/state.json", state);
  rows.push(["special/state.json", "not a plan (a state: values, no resource_changes)"]);
}
{
  const head = readFileSync(special("tfplan.bin")).subarray(0, 4);
  if (!head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) problem("special/tfplan.bin", "is not a zip archive");
  rows.push(["special/tfplan.bin", "not JSON (a binary plan file, a zip archive)"]);
}
{
  const plan = readJson(special("errored.json"));
  if (plan.errored !== true || plan.applyable !== false)
    problem("special/errored.json", "errored/applyable not true/false");
  const addresses = (plan.resource_changes ?? []).map((rc) => rc.address);
  if (JSON.stringify(addresses) !== JSON.stringify(["aws_iam_user.ops"])) {
    problem("special/errored.json", `resource_changes ${JSON.stringify(addresses)}, expected only aws_iam_user.ops`);
  }
  checkCredentials("special/errored.json", plan);
  rows.push(["special/errored.json", "errored: true, incomplete (the user is planned, its key is missing)"]);
}

const base = readJson(join(fixtures, "examples", "direct-reference.json"));
const absent = {
  0.1: [
    "timestamp",
    "relevant_attributes",
    "before_sensitive",
    "after_sensitive",
    "sensitive_values",
    "previous_address",
  ],
  0.2: ["timestamp", "relevant_attributes", "previous_address"],
  "1.0": ["timestamp", "relevant_attributes", "errored", "complete"],
  1.1: ["timestamp", "errored", "applyable", "complete"],
};
const present = {
  0.2: ["sensitive_values", "before_sensitive"],
  "1.0": ["sensitive_values"],
  1.1: ["relevant_attributes"],
};
const hasKey = (value, key) =>
  Array.isArray(value)
    ? value.some((v) => hasKey(v, key))
    : value && typeof value === "object"
      ? key in value || Object.values(value).some((v) => hasKey(v, key))
      : false;

for (const version of ["0.1", "0.2", "1.0", "1.1", "2.0"]) {
  const where = `special/format-${version}.json`;
  const plan = readJson(special(`format-${version}.json`));
  if (plan.format_version !== version) problem(where, `format_version ${plan.format_version}`);
  checkCredentials(where, plan);
  if (version === "2.0") {
    if (JSON.stringify({ ...plan, format_version: "1.2" }) !== JSON.stringify(base)) {
      problem(where, "differs from examples/direct-reference.json in more than format_version");
    }
    rows.push([where, "unknown major version: refuse"]);
    continue;
  }
  for (const key of absent[version]) if (hasKey(plan, key)) problem(where, `still has ${key}`);
  for (const key of present[version] ?? []) if (!hasKey(plan, key)) problem(where, `lost ${key}`);
  const found = findingsOf(plan);
  compareFindings(where, found, exampleExpect["direct-reference"]);
  rows.push([where, verdict(found)]);
}

// --- report -----------------------------------------------------------------

const width = Math.max(...rows.map(([file]) => file.length));
for (const [file, text] of rows) console.log(`${file.padEnd(width)}  ${text}`);
if (problems.length) {
  console.error(`\nverify.mjs: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`\nverify.mjs: ${rows.length} fixtures as expected`);
