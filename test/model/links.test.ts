import { describe, expect, it } from "vitest";
import type { StaticPairEvidence } from "../../src/policies/KG001/evidence.js";
import { flagged, scanTree } from "../support/scan-fixture.js";

/** Each linking route of docs/checks.md, with a violating case and a compliant twin that differs minimally. */
interface Case {
  name: string;
  files: Record<string, string>;
  expected: string[];
  route?: string;
}

const user = (name = "deploy", extra = "") =>
  `resource "aws_iam_user" "${name}" {\n  name = "${name}-bot"\n${extra}}\n`;

const cases: Case[] = [
  // 1. references, any attribute, any index form
  {
    name: "reference .name",
    files: { "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.deploy.name\n}\n` },
    expected: ["aws_iam_access_key.k"],
    route: "reference",
  },
  {
    name: "reference .id",
    files: { "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.deploy.id\n}\n` },
    expected: ["aws_iam_access_key.k"],
    route: "reference",
  },
  {
    name: "reference in a template",
    files: { "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  user = "\${aws_iam_user.deploy.name}"\n}\n` },
    expected: ["aws_iam_access_key.k"],
    route: "reference",
  },
  {
    name: "reference [0] with count",
    files: {
      "main.tf": `resource "aws_iam_user" "u" {\n  count = 1\n  name  = "ci"\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u[0].name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "reference [count.index]",
    files: {
      "main.tf": `resource "aws_iam_user" "u" {\n  count = 2\n  name  = "ci-\${count.index}"\n}\nresource "aws_iam_access_key" "k" {\n  count = 2\n  user  = aws_iam_user.u[count.index].name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: 'reference ["k"] with for_each',
    files: {
      "main.tf": `resource "aws_iam_user" "u" {\n  for_each = toset(["ci", "ops"])\n  name     = each.key\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u["ci"].name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "reference [each.key]",
    files: {
      "main.tf": `resource "aws_iam_user" "u" {\n  for_each = toset(["ci", "ops"])\n  name     = each.key\n}\nresource "aws_iam_access_key" "k" {\n  for_each = toset(["ci"])\n  user     = aws_iam_user.u[each.key].name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "reference to a data source (existing user)",
    files: {
      "main.tf": `data "aws_iam_user" "deploy" {\n  user_name = "deploy-bot"\n}\nresource "aws_iam_access_key" "k" {\n  user = data.aws_iam_user.deploy.user_name\n}\n`,
    },
    expected: [],
  },
  {
    name: "reference to another resource type",
    files: {
      "main.tf": `resource "aws_iam_group" "g" {\n  name = "deploy-bot"\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_group.g.name\n}\n`,
    },
    expected: [],
  },

  // 2. for_each over the user resource, or over the same collection
  {
    name: "for_each = the user resource, each.value.name",
    files: {
      "main.tf": `resource "aws_iam_user" "bots" {\n  for_each = toset(var.names)\n  name     = each.key\n}\nvariable "names" {\n  type = list(string)\n}\nresource "aws_iam_access_key" "k" {\n  for_each = aws_iam_user.bots\n  user     = each.value.name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "for-each",
  },
  {
    name: "for_each = the user resource, each.key",
    files: {
      "main.tf": `resource "aws_iam_user" "bots" {\n  for_each = toset(var.names)\n  name     = each.key\n}\nvariable "names" {\n  type = list(string)\n}\nresource "aws_iam_access_key" "k" {\n  for_each = aws_iam_user.bots\n  user     = each.key\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "for-each",
  },
  {
    name: "for_each over the same undecided collection as the users",
    files: {
      "main.tf": `variable "names" {\n  type = set(string)\n}\nresource "aws_iam_user" "bots" {\n  for_each = var.names\n  name     = each.value\n}\nresource "aws_iam_access_key" "k" {\n  for_each = var.names\n  user     = each.value\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "for-each",
  },
  {
    name: "for_each over the same known map as the users",
    files: {
      "main.tf": `locals {\n  bots = { ci = "ci-bot", ops = "ops-bot" }\n}\nresource "aws_iam_user" "bots" {\n  for_each = local.bots\n  name     = each.value\n}\nresource "aws_iam_access_key" "k" {\n  for_each = local.bots\n  user     = each.value\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "for_each over a different undecided collection",
    files: {
      "main.tf": `variable "names" {\n  type = set(string)\n}\nvariable "others" {\n  type = set(string)\n}\nresource "aws_iam_user" "bots" {\n  for_each = var.names\n  name     = each.value\n}\nresource "aws_iam_access_key" "k" {\n  for_each = var.others\n  user     = each.value\n}\n`,
    },
    expected: [],
  },
  {
    name: "for_each over known sets that do not meet",
    files: {
      "main.tf": `resource "aws_iam_user" "bots" {\n  for_each = toset(["ci", "ops"])\n  name     = each.key\n}\nresource "aws_iam_access_key" "k" {\n  for_each = toset(["legacy"])\n  user     = each.key\n}\n`,
    },
    expected: [],
  },

  // 3. literal names
  {
    name: "literal name equal to the user's literal name",
    files: { "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  user = "deploy-bot"\n}\n` },
    expected: ["aws_iam_access_key.k"],
    route: "literal-name",
  },
  {
    name: "literal name of a user not declared here",
    files: { "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  user = "someone-else"\n}\n` },
    expected: [],
  },
  {
    name: "literal names differ only in case",
    files: { "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  user = "Deploy-Bot"\n}\n` },
    expected: [],
  },

  // 4. locals and variables
  {
    name: "the same local",
    files: {
      "main.tf": `locals {\n  svc = "etl-loader"\n}\nresource "aws_iam_user" "u" {\n  name = local.svc\n}\nresource "aws_iam_access_key" "k" {\n  user = local.svc\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "same-value",
  },
  {
    name: "a local that resolves to the user's literal name",
    files: {
      "main.tf": `locals {\n  svc = "etl-\${local.env}"\n  env = "prod"\n}\nresource "aws_iam_user" "u" {\n  name = "etl-prod"\n}\nresource "aws_iam_access_key" "k" {\n  user = local.svc\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "the same variable with a default",
    files: {
      "main.tf": `variable "user_name" {\n  default = "backup-agent"\n}\nresource "aws_iam_user" "u" {\n  name = var.user_name\n}\nresource "aws_iam_access_key" "k" {\n  user = var.user_name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "the same variable without a default (the very same expression)",
    files: {
      "main.tf": `variable "user_name" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = "\${var.user_name}-ci"\n}\nresource "aws_iam_access_key" "k" {\n  user = "\${var.user_name}-ci"\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "same-value",
  },
  // 4. the very same expression, compared on the syntax tree
  {
    name: 'element(var.names, count.index) against "${element(var.names,count.index)}"',
    files: {
      "main.tf": `variable "names" {\n  type = list(string)\n}\nresource "aws_iam_user" "batch" {\n  count = 2\n  name  = "\${element(var.names, count.index)}"\n}\nresource "aws_iam_access_key" "batch" {\n  count = 2\n  user  = element(var.names,count.index)\n}\n`,
    },
    expected: ["aws_iam_access_key.batch"],
    route: "same-value",
  },
  {
    name: 'format("%s-deployer", var.team) against format( "%s-deployer" , var.team )',
    files: {
      "main.tf": `variable "team" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = format("%s-deployer", var.team)\n}\nresource "aws_iam_access_key" "k" {\n  user = format( "%s-deployer" , var.team )\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "same-value",
  },
  {
    name: "the same expression with comments, line breaks and redundant parentheses",
    files: {
      "main.tf": `variable "team" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = lower("\${var.team}-ci")\n}\nresource "aws_iam_access_key" "k" {\n  user = (lower( # the team's CI user\n    ("\${(var.team)}-ci") /* same name */\n  ))\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "same-value",
  },
  {
    name: "the same string literal in another Unicode normal form",
    files: {
      "main.tf": `variable "team" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = format("%s-caf\u00e9", var.team)\n}\nresource "aws_iam_access_key" "k" {\n  user = format("%s-cafe\\u0301", var.team)\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "same-value",
  },
  {
    name: "the same function over a different operand",
    files: {
      "main.tf": `variable "team" {\n  type = string\n}\nvariable "other" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = format("%s-deployer", var.team)\n}\nresource "aws_iam_access_key" "k" {\n  user = format("%s-deployer", var.other)\n}\n`,
    },
    expected: [],
  },
  {
    name: "the same call spelt the same in another module instance",
    files: {
      "main.tf": `module "a" {\n  source = "./m"\n}\nmodule "b" {\n  source = "./k"\n}\n`,
      "m/main.tf": `variable "team" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = lower(var.team)\n}\n`,
      "k/main.tf": `variable "team" {\n  type = string\n}\nresource "aws_iam_access_key" "k" {\n  user = lower(var.team)\n}\n`,
    },
    expected: [],
  },
  {
    name: "a variable value from terraform.tfvars",
    files: {
      "main.tf": `variable "user_name" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = var.user_name\n}\nresource "aws_iam_access_key" "k" {\n  user = "from-tfvars"\n}\n`,
      "terraform.tfvars": `user_name = "from-tfvars"\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "different variables without defaults",
    files: {
      "main.tf": `variable "a" {\n  type = string\n}\nvariable "b" {\n  type = string\n}\nresource "aws_iam_user" "u" {\n  name = var.a\n}\nresource "aws_iam_access_key" "k" {\n  user = var.b\n}\n`,
    },
    expected: [],
  },
  {
    name: "a local with a different value",
    files: {
      "main.tf": `locals {\n  svc = "etl-loader"\n}\nresource "aws_iam_user" "u" {\n  name = "etl-reader"\n}\nresource "aws_iam_access_key" "k" {\n  user = local.svc\n}\n`,
    },
    expected: [],
  },

  // 5. across a local module boundary
  {
    name: "module output resolving to the module's user",
    files: {
      "main.tf": `module "svc" {\n  source = "./modules/user"\n  name   = "metrics"\n}\nresource "aws_iam_access_key" "k" {\n  user = module.svc.user_name\n}\n`,
      "modules/user/main.tf": `variable "name" {\n  type = string\n}\nresource "aws_iam_user" "this" {\n  name = var.name\n}\noutput "user_name" {\n  value = aws_iam_user.this.name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
    route: "module-output",
  },
  {
    name: "module output that is not the user",
    files: {
      "main.tf": `module "svc" {\n  source = "./modules/user"\n  name   = "metrics"\n}\nresource "aws_iam_access_key" "k" {\n  user = module.svc.group_name\n}\n`,
      "modules/user/main.tf": `variable "name" {\n  type = string\n}\nresource "aws_iam_user" "this" {\n  name = var.name\n}\nresource "aws_iam_group" "g" {\n  name = "g-\${var.name}"\n}\noutput "group_name" {\n  value = aws_iam_group.g.name\n}\n`,
    },
    expected: [],
  },
  {
    name: "module input receiving the user's name",
    files: {
      "main.tf": `resource "aws_iam_user" "ingest" {\n  name = "log-ingest"\n}\nmodule "creds" {\n  source    = "./modules/key"\n  user_name = aws_iam_user.ingest.name\n}\n`,
      "modules/key/main.tf": `variable "user_name" {\n  type = string\n}\nresource "aws_iam_access_key" "this" {\n  user = var.user_name\n}\n`,
    },
    expected: ["module.creds.aws_iam_access_key.this"],
    route: "module-input",
  },
  {
    name: "module input receiving another user's literal name",
    files: {
      "main.tf": `resource "aws_iam_user" "ingest" {\n  name = "log-ingest"\n}\nmodule "creds" {\n  source    = "./modules/key"\n  user_name = "legacy-ingest"\n}\n`,
      "modules/key/main.tf": `variable "user_name" {\n  type = string\n}\nresource "aws_iam_access_key" "this" {\n  user = var.user_name\n}\n`,
    },
    expected: [],
  },
  {
    name: "a nested module chain, user two levels down",
    files: {
      "main.tf": `module "team" {\n  source = "./modules/team"\n}\nresource "aws_iam_access_key" "k" {\n  user = module.team.bot\n}\n`,
      "modules/team/main.tf": `module "bot" {\n  source = "../user"\n  name   = "team-bot"\n}\noutput "bot" {\n  value = module.bot.user_name\n}\n`,
      "modules/user/main.tf": `variable "name" {\n  type = string\n}\nresource "aws_iam_user" "this" {\n  name = var.name\n}\noutput "user_name" {\n  value = aws_iam_user.this.name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "user in one root, key for its literal name in another root",
    files: {
      "users/main.tf": `resource "aws_iam_user" "u" {\n  name = "shared-bot"\n}\n`,
      "keys/main.tf": `resource "aws_iam_access_key" "k" {\n  user = "shared-bot"\n}\n`,
    },
    expected: [],
  },

  // keys (or users) that are not created
  {
    name: "count = 0",
    files: {
      "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  count = 0\n  user  = aws_iam_user.deploy.name\n}\n`,
    },
    expected: [],
  },
  {
    name: "for_each = {}",
    files: {
      "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  for_each = {}\n  user     = aws_iam_user.deploy.name\n}\n`,
    },
    expected: [],
  },
  {
    name: "for_each = toset([])",
    files: {
      "main.tf": `${user()}resource "aws_iam_access_key" "k" {\n  for_each = toset([])\n  user     = aws_iam_user.deploy.name\n}\n`,
    },
    expected: [],
  },
  {
    name: "count decided false by a variable default",
    files: {
      "main.tf": `variable "create_key" {\n  default = false\n}\n${user()}resource "aws_iam_access_key" "k" {\n  count = var.create_key ? 1 : 0\n  user  = aws_iam_user.deploy.name\n}\n`,
    },
    expected: [],
  },
  {
    name: "count undecided (fail closed)",
    files: {
      "main.tf": `variable "create_key" {\n  type = bool\n}\n${user()}resource "aws_iam_access_key" "k" {\n  count = var.create_key ? 1 : 0\n  user  = aws_iam_user.deploy.name\n}\n`,
    },
    expected: ["aws_iam_access_key.k"],
  },
  {
    name: "user with count = 0",
    files: {
      "main.tf": `resource "aws_iam_user" "u" {\n  count = 0\n  name  = "x"\n}\nresource "aws_iam_access_key" "k" {\n  user = "x"\n}\n`,
    },
    expected: [],
  },
  {
    name: "a module call with count = 0",
    files: {
      "main.tf": `resource "aws_iam_user" "u" {\n  name = "x"\n}\nmodule "creds" {\n  source    = "./modules/key"\n  count     = 0\n  user_name = aws_iam_user.u.name\n}\n`,
      "modules/key/main.tf": `variable "user_name" {\n  type = string\n}\nresource "aws_iam_access_key" "this" {\n  user = var.user_name\n}\n`,
    },
    expected: [],
  },
  {
    name: "a key with an unresolvable user",
    files: {
      "main.tf": `${user()}variable "who" {\n  type = string\n}\nresource "aws_iam_access_key" "k" {\n  user = var.who\n}\n`,
    },
    expected: [],
  },
];

describe("linking a key to its user", () => {
  it("covers every route with a violating and a compliant case", () => {
    expect(cases.filter((c) => c.expected.length).length).toBeGreaterThan(10);
    expect(cases.filter((c) => !c.expected.length).length).toBeGreaterThan(10);
  });

  it.each(cases)("$name", async ({ files, expected, route }) => {
    const result = await scanTree(files);
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual(expected);
    if (route) expect((result.findings[0]?.evidence as StaticPairEvidence | undefined)?.route).toBe(route);
  });

  it("notes the undecided condition on a key assumed to be created", async () => {
    const result = await scanTree({
      "main.tf": `variable "create_key" {\n  type = bool\n}\n${user()}resource "aws_iam_access_key" "k" {\n  count = var.create_key ? 1 : 0\n  user  = aws_iam_user.deploy.name\n}\n`,
    });
    expect((result.findings[0]?.evidence as StaticPairEvidence | undefined)?.undecided).toEqual([
      "count = var.create_key ? 1 : 0",
    ]);
  });

  it("names the console password when the user also gets a login profile", async () => {
    const result = await scanTree({
      "main.tf": `${user()}resource "aws_iam_user_login_profile" "p" {\n  user = aws_iam_user.deploy.name\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.deploy.name\n}\n`,
    });
    expect((result.findings[0]?.evidence as StaticPairEvidence | undefined)?.loginProfile).toBe(
      "aws_iam_user_login_profile.p",
    );
    expect(result.findings[0]?.related.map((r) => `${r.role} ${r.address}`)).toEqual([
      "user aws_iam_user.deploy",
      "login-profile aws_iam_user_login_profile.p",
    ]);
  });

  it("qualifies addresses and locations inside modules", async () => {
    const result = await scanTree({
      "main.tf": `module "team" {\n  source = "./modules/team"\n}\n`,
      "modules/team/main.tf": `resource "aws_iam_user" "this" {\n  name = "t"\n}\n\nresource "aws_iam_access_key" "this" {\n  user = aws_iam_user.this.name\n}\n`,
    });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      resource: "module.team.aws_iam_access_key.this",
      location: { file: "modules/team/main.tf", line: 5, column: 1, endLine: 7, endColumn: 2 },
      related: [
        { address: "module.team.aws_iam_user.this", location: { file: "modules/team/main.tf", line: 1, column: 1 } },
        // The call that instantiates the module (issue 13: one finding per calling instance).
        { role: "module-call", address: "module.team", location: { file: "main.tf", line: 1, column: 1 } },
      ],
    });
  });
});
