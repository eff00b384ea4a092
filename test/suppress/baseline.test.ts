import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  applyBaseline,
  BaselineError,
  baselineOf,
  formatBaseline,
  parseBaseline,
  readBaseline,
} from "../../src/suppress/baseline.js";
import { runCli, scanTree, writeTree } from "../support/scan-fixture.js";

const user = (name: string) => `resource "aws_iam_user" "${name}" {\n  name = "${name}"\n}\n`;
const key = (name: string) => `resource "aws_iam_access_key" "${name}" {\n  user = aws_iam_user.${name}.name\n}\n`;

/** Two configurations, each with a user and a day-one key; `legacy` also has one suppressed inline. */
const TREE = {
  "stacks/app/main.tf": user("app") + key("app"),
  "stacks/legacy/main.tf": `${user("old")}${key("old")}${user("vendor")}# keygate:ignore KG001 -- vendor onboarding, SEC-142\n${key("vendor")}`,
};

describe("baseline file", () => {
  it("reads a valid baseline, with where each entry starts", () => {
    const text = `{\n  "version": 1,\n  "findings": [\n    { "fingerprint": "0123456789abcdef0123456789abcdef", "ruleId": "KG001", "resource": "aws_iam_access_key.a", "file": "main.tf", "reason": "known" }\n  ]\n}\n`;
    const baseline = parseBaseline(text, "b.json");
    expect(baseline.entries).toEqual([
      {
        fingerprint: "0123456789abcdef0123456789abcdef",
        ruleId: "KG001",
        resource: "aws_iam_access_key.a",
        file: "main.tf",
        reason: "known",
      },
    ]);
    expect(baseline.positions).toEqual([{ line: 4, column: 5 }]);
  });

  it("says where JSON breaks", () => {
    expect(() => parseBaseline('{\n  "version": 1,\n  "findings": [\n', "b.json")).toThrow(BaselineError);
    expect(() => parseBaseline('{\n  "version": 1,\n  "findings": [\n', "b.json")).toThrow(
      /^b\.json:4:1: Invalid JSON/,
    );
  });

  it("says which key is wrong, in the manner of ESLint", () => {
    const text = JSON.stringify({ version: 2, findings: [{ fingerprint: "xyz", ruleId: "KG001", resource: "r" }] });
    expect(() => parseBaseline(text, "b.json")).toThrow(
      'b.json: Key "version": Value 2 must be 1.\n  Key "findings": Key "0": Missing required key "file".\n  Key "findings": Key "0": Key "fingerprint": Value "xyz" does not match the expected form ^[0-9a-f]{32}$.\n  A baseline is written by --write-baseline; see schemas/baseline.schema.json for its format.',
    );
  });

  it("refuses a missing file with a hint", async () => {
    await expect(readBaseline("/nonexistent/keygate-baseline.json", "keygate-baseline.json")).rejects.toThrow(
      "keygate-baseline.json: baseline file not found; create it with --write-baseline",
    );
  });
});

describe("applying a baseline", () => {
  it("marks the findings it lists as baselined, keeps inline suppressions, and reports stale entries where they stand", async () => {
    const result = await scanTree(TREE);
    const old = result.findings.find((f) => f.resource === "aws_iam_access_key.old")!;
    const vendor = result.findings.find((f) => f.resource === "aws_iam_access_key.vendor")!;
    const text = formatBaseline({
      version: 1,
      findings: [
        {
          fingerprint: old.fingerprint,
          ruleId: "KG001",
          resource: old.resource,
          file: old.location.file,
          reason: "accepted in SEC-7",
        },
        { fingerprint: vendor.fingerprint, ruleId: "KG001", resource: vendor.resource, file: vendor.location.file },
        {
          fingerprint: "0123456789abcdef0123456789abcdef",
          ruleId: "KG001",
          resource: "aws_iam_access_key.gone",
          file: "stacks/app/main.tf",
        },
        {
          fingerprint: "fedcba9876543210fedcba9876543210",
          ruleId: "KG001",
          resource: "aws_iam_access_key.far",
          file: "elsewhere/main.tf",
        },
      ],
    });
    const applied = applyBaseline(result, parseBaseline(text, "keygate-baseline.json"), (file) =>
      file.startsWith("stacks/"),
    );
    const suppressed = Object.fromEntries(applied.findings.map((f) => [f.resource, f.suppressed]));
    expect(suppressed).toEqual({
      "aws_iam_access_key.app": null,
      "aws_iam_access_key.old": { kind: "baseline", reason: "accepted in SEC-7", until: null },
      "aws_iam_access_key.vendor": { kind: "inline", reason: "vendor onboarding, SEC-142", until: null },
    });
    expect(applied.baseline).toEqual({
      file: "keygate-baseline.json",
      entries: 4,
      matched: [old.fingerprint, vendor.fingerprint].sort(),
      stale: [
        {
          fingerprint: "0123456789abcdef0123456789abcdef",
          ruleId: "KG001",
          resource: "aws_iam_access_key.gone",
          file: "stacks/app/main.tf",
        },
      ],
    });
    // The entry outside the scanned paths is neither matched nor stale: a partial scan cannot tell.
    expect(applied.warnings).toEqual([
      {
        file: "keygate-baseline.json",
        line: 17,
        column: 5,
        message:
          "stale baseline entry: KG001 for aws_iam_access_key.gone (stacks/app/main.tf) matches no finding any more (fixed, or the resource or file was renamed); remove the entry, or rewrite the baseline with --write-baseline",
      },
    ]);
  });

  it("names the baseline as the reason when an entry gives none", async () => {
    const result = await scanTree({ "main.tf": user("a") + key("a") });
    const [finding] = result.findings;
    const baseline = parseBaseline(
      formatBaseline({
        version: 1,
        findings: [
          { fingerprint: finding!.fingerprint, ruleId: "KG001", resource: finding!.resource, file: "main.tf" },
        ],
      }),
      "b.json",
    );
    expect(applyBaseline(result, baseline).findings[0]!.suppressed).toEqual({
      kind: "baseline",
      reason: "recorded in the baseline b.json",
      until: null,
    });
  });
});

describe("writing a baseline", () => {
  it("records every finding not suppressed inline, sorted, and is valid against its own schema", async () => {
    const result = await scanTree(TREE);
    const written = baselineOf(result);
    expect(written.findings.map((e) => [e.file, e.resource])).toEqual([
      ["stacks/app/main.tf", "aws_iam_access_key.app"],
      ["stacks/legacy/main.tf", "aws_iam_access_key.old"],
    ]);
    expect(written.$schema).toBe("https://keygate.dev/schemas/baseline.schema.json");
    expect(parseBaseline(formatBaseline(written), "b.json").entries).toEqual(written.findings);
  });

  it("keeps the reasons of the previous baseline, and its entries outside the scanned paths", async () => {
    const result = await scanTree(TREE);
    const app = result.findings.find((f) => f.resource === "aws_iam_access_key.app")!;
    const previous = parseBaseline(
      formatBaseline({
        version: 1,
        findings: [
          {
            fingerprint: app.fingerprint,
            ruleId: "KG001",
            resource: app.resource,
            file: app.location.file,
            reason: "accepted in SEC-9",
          },
          {
            fingerprint: "fedcba9876543210fedcba9876543210",
            ruleId: "KG001",
            resource: "aws_iam_access_key.far",
            file: "elsewhere/main.tf",
          },
          {
            fingerprint: "0123456789abcdef0123456789abcdef",
            ruleId: "KG001",
            resource: "aws_iam_access_key.gone",
            file: "stacks/app/main.tf",
          },
        ],
      }),
      "b.json",
    );
    const written = baselineOf(result, previous, (file) => file.startsWith("stacks/"));
    expect(written.findings).toEqual([
      {
        fingerprint: "fedcba9876543210fedcba9876543210",
        ruleId: "KG001",
        resource: "aws_iam_access_key.far",
        file: "elsewhere/main.tf",
      },
      {
        fingerprint: app.fingerprint,
        ruleId: "KG001",
        resource: "aws_iam_access_key.app",
        file: "stacks/app/main.tf",
        reason: "accepted in SEC-9",
      },
      expect.objectContaining({ resource: "aws_iam_access_key.old", file: "stacks/legacy/main.tf" }),
    ]);
  });
});

describe("keygate --write-baseline / --baseline", () => {
  it("accepts today's findings, then fails only on new ones; moving code keeps the baseline matching", async () => {
    const root = await writeTree(TREE);
    const first = await runCli(["stacks"], root);
    expect(first.code).toBe(1);

    const write = await runCli(["stacks", "--write-baseline", "keygate-baseline.json", "-f", "json"], root);
    expect(write.stderr).toBe("keygate: wrote 2 findings to the baseline keygate-baseline.json\n");
    expect(write.code).toBe(0);
    expect(
      JSON.parse(write.stdout).findings.map((f: { suppressed: { kind: string } | null }) => f.suppressed?.kind),
    ).toEqual(["baseline", "baseline", "inline"]);
    const written = JSON.parse(await readFile(join(root, "keygate-baseline.json"), "utf8"));
    expect(written.findings).toHaveLength(2);

    // Lines shift: the fingerprints hold no line numbers.
    await writeFile(join(root, "stacks/app/main.tf"), `# moved down\n\n\n${TREE["stacks/app/main.tf"]}`);
    const same = await runCli(["stacks", "--baseline", "keygate-baseline.json"], root);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("0 findings, 1 suppressed, 2 baselined");

    await writeFile(join(root, "stacks/app/new.tf"), user("fresh") + key("fresh"));
    const fresh = await runCli(["stacks", "--baseline", "keygate-baseline.json", "-f", "json"], root);
    expect(fresh.code).toBe(1);
    const active = JSON.parse(fresh.stdout).findings.filter((f: { suppressed: unknown }) => !f.suppressed);
    expect(active.map((f: { resource: string }) => f.resource)).toEqual(["aws_iam_access_key.fresh"]);
  });

  it("reports a fixed finding's entry as stale, in the summary and as a warning", async () => {
    const root = await writeTree(TREE);
    await runCli(["stacks", "--write-baseline", "keygate-baseline.json"], root);
    await writeFile(join(root, "stacks/app/main.tf"), user("app"));
    const { code, stdout } = await runCli(["stacks", "--baseline", "keygate-baseline.json", "-f", "markdown"], root);
    expect(code).toBe(0);
    expect(stdout).toContain("Baseline `keygate-baseline.json`: 1 of 2 entries matched, 1 stale.");
    expect(stdout).toMatch(
      /\| `keygate-baseline\.json:\d+:5` \| stale baseline entry: KG001 for aws_iam_access_key\.app \(stacks\/app\/main\.tf\)/,
    );
    const strict = await runCli(["stacks", "--baseline", "keygate-baseline.json", "--fail-on", "warning"], root);
    expect(strict.code).toBe(1);
  });

  it("stops with exit 2 and a clear message on an invalid or missing baseline", async () => {
    const root = await writeTree({
      ...TREE,
      "bad.json": '{ "version": 1, "findings": [ { "fingerprint": "nope" } ] }',
    });
    const bad = await runCli(["stacks", "--baseline", "bad.json"], root);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain('keygate: baseline bad.json: Key "findings": Key "0": Missing required key "ruleId".');
    const missing = await runCli(["stacks", "--baseline", "none.json"], root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "keygate: baseline none.json: baseline file not found; create it with --write-baseline\n",
    );
  });
});
