import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings.js";
import type { ModuleCallEvidence, StaticPairEvidence } from "../../src/policies/KG001/evidence.js";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { findingFix, findingMessage } from "../../src/report/messages.js";
import { scan, type ScanResult } from "../../src/scan.js";
import { flagged, scanTree, TODAY } from "../support/scan-fixture.js";

/**
 * KG001 on module calls: registry and git modules, read from their downloaded code
 * (`.terraform/modules/modules.json`) or, when they are not downloaded, from the module catalog
 * (`policies/modules.json`). Fixtures under test/fixtures/modules/ mark their findings with
 * `# expect: KG001` on the offending line, as examples/ do; they cannot be planned offline
 * (their modules come from registries), which is why they are not examples.
 */
const FIXTURES = join(import.meta.dirname, "..", "fixtures", "modules");
const fixtures = readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory());

async function scanDir(cwd: string, options: { prefilter?: boolean } = {}): Promise<ScanResult> {
  const policies = loadPolicies();
  const settings = await loadSettings(policies, cwd);
  return scan({ paths: ["."], cwd, settings, policies, today: TODAY, ...options });
}

/** `file:line KG001` for every marker outside .terraform/ (the user's code). */
function markers(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== ".terraform") out.push(...markers(path, `${prefix}${entry}/`));
    } else if (entry.endsWith(".tf")) {
      readFileSync(path, "utf8")
        .split("\n")
        .forEach((line, i) => /#\s*expect:\s*KG001/.test(line) && out.push(`${prefix}${entry}:${i + 1} KG001`));
    }
  }
  return out.sort();
}

const moduleEvidence = (finding: Finding | undefined) => finding?.evidence as ModuleCallEvidence;

describe("test/fixtures/modules: downloaded and catalogued modules", () => {
  it.each(fixtures)(
    "%s: findings match the expect markers; .terraform/ is no root; the prefilter changes nothing",
    async (name) => {
      const dir = join(FIXTURES, name);
      const result = await scanDir(dir);
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.findings.map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}`).sort()).toEqual(
        markers(dir),
      );
      expect(result.configurations).toEqual(["."]);
      const unfiltered = await scanDir(dir, { prefilter: false });
      expect(unfiltered.findings).toEqual(result.findings);
    },
  );

  it("downloaded-iam-user: the real module is read; the catalog names the inputs and the fix", async () => {
    const { findings } = await scanDir(join(FIXTURES, "downloaded-iam-user"));
    expect(findings.map((f) => f.resource)).toEqual(["module.iam_user"]);
    expect(moduleEvidence(findings[0])).toEqual({
      kind: "module-call",
      module: "module.iam_user",
      source: "terraform-aws-modules/iam/aws//modules/iam-user",
      version: "5.39.0",
      analysis: "downloaded",
      catalogEntry: "terraform-aws-modules/iam-user/v4-v5",
      key: "module.iam_user.aws_iam_access_key.this_no_pgp",
      user: "module.iam_user.aws_iam_user.this",
      userName: "deploy-bot",
      route: "reference",
      inputs: [
        { name: "create_user", value: "true", from: "default" },
        { name: "create_iam_access_key", value: "true", from: "default" },
      ],
      fix: { input: "create_iam_access_key", value: false },
      undecided: [],
    });
    // Everything shows at the call in main.tf, never inside .terraform/.
    expect(findings[0]!.related.map((r) => `${r.role} ${r.address} ${r.location?.file}:${r.location?.line}`)).toEqual([
      "user module.iam_user.aws_iam_user.this main.tf:2",
    ]);
  });

  it("git-key-for-caller: a key created inside a git module for the caller's user is reported on the call", async () => {
    const { findings } = await scanDir(join(FIXTURES, "git-key-for-caller"));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence).toMatchObject({
      kind: "module-call",
      module: "module.ci_key",
      analysis: "downloaded",
      key: "module.ci_key.aws_iam_access_key.this",
      user: "aws_iam_user.ci",
      userName: "ci-runner",
      route: "module-input",
      inputs: [],
    });
    expect(moduleEvidence(findings[0]).fix).toBeUndefined();
    expect(findingMessage(findings[0]!)).toContain(
      'creates access key module.ci_key.aws_iam_access_key.this for user aws_iam_user.ci "ci-runner" (main.tf:1:1), which this configuration also creates',
    );
  });

  it("nested-chain: root → local module → downloaded registry module (for_each) → its own local module", async () => {
    const { findings } = await scanDir(join(FIXTURES, "nested-chain"));
    expect(
      findings.map((f) => [f.resource, f.location.file, moduleEvidence(f).key, moduleEvidence(f).userName]),
    ).toEqual([
      [
        "module.platform.module.teams",
        "platform/main.tf",
        "module.platform.module.teams.module.bot.aws_iam_access_key.this",
        undefined,
      ],
    ]);
    // The user's name is one per instance of the for_each: undecided, but the pair is certain.
    expect(moduleEvidence(findings[0]).undecided).toEqual([]);
  });

  it("downloaded-cloudposse: null-label's context followed through nested downloaded modules; an expiring key counts", async () => {
    const { findings } = await scanDir(join(FIXTURES, "downloaded-cloudposse"));
    expect(
      findings.map((f) => [f.resource, moduleEvidence(f).analysis, moduleEvidence(f).key, moduleEvidence(f).userName]),
    ).toEqual([
      ["module.system", "catalog", "module.system.awsutils_expiring_iam_access_key.default", undefined],
      ["module.legacy", "downloaded", "module.legacy.aws_iam_access_key.default", "eg-prod-legacy"],
    ]);
  });

  it("catalog-fallback: a call whose source changed since init, or whose download is gone, is read from the catalog", async () => {
    const { findings } = await scanDir(join(FIXTURES, "catalog-fallback"));
    expect(findings.map((f) => [f.resource, moduleEvidence(f).analysis, moduleEvidence(f).catalogEntry])).toEqual([
      ["module.changed", "catalog", "terraform-aws-modules/iam-user/v6"],
      ["module.gone", "catalog", "cloudposse/iam-system-user"],
    ]);
  });
});

/** Each catalog entry: created by default, disabled explicitly, enabled or disabled through a variable, undecided. */
interface EntryCase {
  id: string;
  source: string;
  version: string;
  keyInput: string;
  userInput: string;
  /** Arguments every call needs. */
  required: string;
  user: string;
  loginProfile?: string;
}

const entries: EntryCase[] = [
  {
    id: "terraform-aws-modules/iam-user/v0-v3",
    source: "terraform-aws-modules/iam/aws//modules/iam-user",
    version: "~> 3.0",
    keyInput: "create_iam_access_key",
    userInput: "create_user",
    required: 'name = "ci"',
    user: "aws_iam_user.this",
    loginProfile: "aws_iam_user_login_profile.this",
  },
  {
    id: "terraform-aws-modules/iam-user/v4-v5",
    source: "terraform-aws-modules/iam/aws//modules/iam-user",
    version: "~> 5.0",
    keyInput: "create_iam_access_key",
    userInput: "create_user",
    required: 'name = "ci"',
    user: "aws_iam_user.this",
    loginProfile: "aws_iam_user_login_profile.this",
  },
  {
    id: "terraform-aws-modules/iam-user/v6",
    source: "terraform-aws-modules/iam/aws//modules/iam-user",
    version: "~> 6.0",
    keyInput: "create_access_key",
    userInput: "create",
    required: 'name = "ci"',
    user: "aws_iam_user.this",
    loginProfile: "aws_iam_user_login_profile.this",
  },
  {
    id: "cloudposse/iam-system-user",
    source: "cloudposse/iam-system-user/aws",
    version: "1.2.0",
    keyInput: "create_iam_access_key",
    userInput: "enabled",
    required: 'namespace = "eg"\n  name      = "ci"',
    user: "aws_iam_user.default",
  },
  {
    id: "cloudposse/iam-s3-user",
    source: "cloudposse/iam-s3-user/aws",
    version: "1.2.0",
    keyInput: "create_iam_access_key",
    userInput: "enabled",
    required: 's3_resources = ["arn:aws:s3:::b/*"]',
    user: "module.s3_user.aws_iam_user.default",
  },
];

const call = (e: EntryCase, args = "", meta = "") =>
  `module "m" {\n  source  = "${e.source}"\n  version = "${e.version}"\n${meta}\n  ${e.required}\n${args}\n}\n`;

describe.each(entries)("catalog entry $id", (e) => {
  const variable = 'variable "k" {\n  type = bool\n}\n';

  it("by default: the call creates the user and its key", async () => {
    const result = await scanTree({ "main.tf": call(e) });
    expect(flagged(result)).toEqual(["module.m"]);
    const evidence = moduleEvidence(result.findings[0]);
    expect(evidence).toMatchObject({
      analysis: "catalog",
      catalogEntry: e.id,
      user: `module.m.${e.user}`,
      fix: { input: e.keyInput, value: false },
      undecided: [],
    });
    expect(evidence.inputs).toEqual([
      { name: e.userInput, value: "true", from: "default" },
      { name: e.keyInput, value: "true", from: "default" },
    ]);
    expect(evidence.loginProfile).toBe(e.loginProfile ? `module.m.${e.loginProfile}` : undefined);
    expect(findingFix(result.findings[0]!, loadPolicies()[0], true)).toBe(
      `Set ${e.keyInput} = false on module.m so that the module creates no access key.`,
    );
  });

  it("the key explicitly disabled: nothing", async () => {
    expect(flagged(await scanTree({ "main.tf": call(e, `  ${e.keyInput} = false`) }))).toEqual([]);
  });

  it("the user disabled: nothing", async () => {
    expect(flagged(await scanTree({ "main.tf": call(e, `  ${e.userInput} = false`) }))).toEqual([]);
  });

  it("the key enabled through a variable set in terraform.tfvars", async () => {
    const result = await scanTree({
      "main.tf": variable + call(e, `  ${e.keyInput} = var.k`),
      "terraform.tfvars": "k = true\n",
    });
    expect(flagged(result)).toEqual(["module.m"]);
    expect(moduleEvidence(result.findings[0]).inputs).toContainEqual({
      name: e.keyInput,
      value: "true",
      from: "argument",
    });
  });

  it("the key disabled through a variable set in terraform.tfvars", async () => {
    expect(
      flagged(
        await scanTree({ "main.tf": variable + call(e, `  ${e.keyInput} = var.k`), "terraform.tfvars": "k = false\n" }),
      ),
    ).toEqual([]);
  });

  it("the key behind a variable without a value: assumed created, and the finding says so", async () => {
    const result = await scanTree({ "main.tf": variable + call(e, `  ${e.keyInput} = var.k`) });
    expect(flagged(result)).toEqual(["module.m"]);
    expect(moduleEvidence(result.findings[0]).undecided).toEqual([`${e.keyInput} = var.k`]);
    expect(findingMessage(result.findings[0]!)).toContain(
      `Assumed to be created, since keygate cannot decide: ${e.keyInput} = var.k.`,
    );
  });

  it("count = 0 and an empty for_each: nothing; for_each over two: one finding on the call", async () => {
    expect(flagged(await scanTree({ "main.tf": call(e, "", "  count = 0") }))).toEqual([]);
    expect(flagged(await scanTree({ "main.tf": call(e, "", "  for_each = {}") }))).toEqual([]);
    expect(flagged(await scanTree({ "main.tf": call(e, "", '  for_each = toset(["a", "b"])') }))).toEqual(["module.m"]);
  });
});

describe("module calls: the rest", () => {
  const iamUser = (version: string, body: string, name = "u") =>
    `module "${name}" {\n  source  = "terraform-aws-modules/iam/aws//modules/iam-user"\n  version = "${version}"\n  name    = "ci"\n${body}}\n`;

  it("cloudposse: enabled = null falls back to context.enabled", async () => {
    const system = (args: string) => ({
      "main.tf": `module "s" {\n  source  = "cloudposse/iam-system-user/aws"\n  version = "1.2.0"\n  name    = "ci"\n${args}\n}\n`,
    });
    expect(flagged(await scanTree(system("  context = { enabled = false }")))).toEqual([]);
    expect(flagged(await scanTree(system("  enabled = null\n  context = { enabled = false }")))).toEqual([]);
    expect(flagged(await scanTree(system("  enabled = true\n  context = { enabled = false }")))).toEqual(["module.s"]);
    expect(flagged(await scanTree(system("  context = { enabled = true }")))).toEqual(["module.s"]);
  });

  it("count decided by a variable without a value: assumed created", async () => {
    const result = await scanTree({
      "main.tf": `variable "n" {\n  type = number\n}\n${iamUser("~> 5.0", "  count = var.n\n")}`,
    });
    expect(flagged(result)).toEqual(["module.u"]);
    expect(moduleEvidence(result.findings[0]).undecided).toEqual(["count = var.n"]);
  });

  it("without a login profile, the finding does not mention a console password", async () => {
    const result = await scanTree({ "main.tf": iamUser("~> 5.0", "  create_iam_user_login_profile = false\n") });
    expect(moduleEvidence(result.findings[0]).loginProfile).toBeUndefined();
  });

  it("an unpinned version allows several entries: the most dangerous is assumed, and the finding says which", async () => {
    const result = await scanTree({
      "main.tf": `module "u" {\n  source = "terraform-aws-modules/iam/aws//modules/iam-user"\n  name   = "ci"\n}\n`,
    });
    const evidence = moduleEvidence(result.findings[0]);
    expect(evidence.catalogEntry).toBe("terraform-aws-modules/iam-user/v6");
    expect(evidence.undecided).toEqual([
      "the call has no version constraint, which allows terraform-aws-modules/iam-user/v6, terraform-aws-modules/iam-user/v4-v5, terraform-aws-modules/iam-user/v0-v3; keygate assumed terraform-aws-modules/iam-user/v6, under which the call creates both",
    ]);
  });

  it("arguments tell versions apart: create_iam_access_key = false is a 5.x call, whatever the constraint", async () => {
    expect(flagged(await scanTree({ "main.tf": iamUser(">= 5.0", "  create_iam_access_key = false\n") }))).toEqual([]);
  });

  it("a key created outside for the module's user is a finding on that key (v5 and v6 output names)", async () => {
    for (const [version, disable, output] of [
      ["~> 5.0", "create_iam_access_key", "iam_user_name"],
      ["~> 6.0", "create_access_key", "name"],
      ["~> 3.0", "create_iam_access_key", "this_iam_user_name"],
    ] as const) {
      const result = await scanTree({
        "main.tf": `${iamUser(version, `  ${disable} = false\n`)}resource "aws_iam_access_key" "k" {\n  user = module.u.${output}\n}\n`,
      });
      expect(flagged(result)).toEqual(["aws_iam_access_key.k"]);
      expect(result.findings[0]!.evidence as StaticPairEvidence).toMatchObject({
        user: "module.u.aws_iam_user.this",
        userName: "ci",
        route: "module-output",
      });
      expect(result.findings[0]!.related.find((r) => r.role === "user")?.location?.line).toBe(1);
    }
  });

  it("no user, no pair: a key outside for a module whose user is switched off", async () => {
    expect(
      flagged(
        await scanTree({
          "main.tf": `${iamUser("~> 5.0", "  create_user = false\n")}resource "aws_iam_access_key" "k" {\n  user = module.u.iam_user_name\n}\n`,
        }),
      ),
    ).toEqual([]);
  });

  it("a registry module called from a local module is reported at that call, with its full address", async () => {
    const result = await scanTree({
      "main.tf": 'module "team" {\n  source = "./team"\n}\n',
      "team/main.tf": iamUser("~> 6.0", "", "bot"),
    });
    expect(result.findings.map((f) => [f.resource, f.location.file, f.location.line])).toEqual([
      ["module.team.module.bot", "team/main.tf", 1],
    ]);
  });

  it("a module call keygate knows nothing about is no finding", async () => {
    expect(
      flagged(await scanTree({ "main.tf": 'module "x" {\n  source  = "acme/unknown/aws"\n  version = "1.0.0"\n}\n' })),
    ).toEqual([]);
  });

  it("the message names the call, the module, the inputs and the console password; the fix names the input", async () => {
    const result = await scanTree({ "main.tf": iamUser("5.39.0", "") });
    expect(findingMessage(result.findings[0]!)).toBe(
      'Module call module.u (main.tf:1:1; terraform-aws-modules/iam/aws//modules/iam-user 5.39.0, described by the module catalog as terraform-aws-modules/iam-user/v4-v5) creates IAM user module.u.aws_iam_user.this "ci" together with an access key for it (module.u.aws_iam_access_key.this_no_pgp), so the key is issued during the user\'s initial setup instead of as a separate, later step. Inputs: create_user = true (default), create_iam_access_key = true (default). The user also gets a console password (module.u.aws_iam_user_login_profile.this): exactly the population the CIS control names.',
    );
    expect(findingFix(result.findings[0]!, loadPolicies()[0])).toBe(
      "Set create_iam_access_key = false on module.u so that the module creates no access key. If the user needs a key at all, create it in a later, separate change (an aws_iam_access_key for the module's user), so that it shows intent and can be traced.",
    );
  });
});

describe("suppressing a module-call finding", () => {
  it("a keygate:ignore comment directly above the module block suppresses it", async () => {
    const result = await scanTree({
      "main.tf": `# keygate:ignore KG001 -- the vendor's onboarding needs a key, SEC-201\nmodule "vendor" {\n  source  = "terraform-aws-modules/iam/aws//modules/iam-user"\n  version = "~> 5.0"\n  name    = "vendor"\n}\n\n# keygate:ignore KG001 -- nothing to suppress here\nmodule "quiet" {\n  source                = "terraform-aws-modules/iam/aws//modules/iam-user"\n  version               = "~> 5.0"\n  name                  = "quiet"\n  create_iam_access_key = false\n}\n`,
    });
    expect(result.findings.map((f) => [f.resource, f.suppressed?.kind])).toEqual([["module.vendor", "inline"]]);
    expect(result.warnings.map((w) => `${w.line} ${w.message}`)).toEqual([
      "8 keygate:ignore KG001 suppresses nothing: there is no such finding for module.quiet; remove the comment",
    ]);
  });
});
