import { describe, expect, it } from "vitest";
import type { StaticPairEvidence } from "../../src/policies/KG001/evidence.js";
import { parseHcl } from "../../src/load/terraform-syntax.js";
import { workingTree } from "../../src/load/tree.js";
import { VariableReader, type CliVariable, type VariableInputs } from "../../src/model/variables.js";
import { runCli, writeTree } from "../support/scan-fixture.js";

/**
 * Terraform's "Variable Definition Precedence", later winning: defaults, TF_VAR_* environment
 * variables, terraform.tfvars, terraform.tfvars.json, *.auto.tfvars(.json) in lexical order of
 * their names, then -var and -var-file in command-line order.
 */
interface Case {
  name: string;
  files?: Record<string, string>;
  inputs?: VariableInputs;
  winner: { value: unknown; origin: string };
}

const env = { TF_VAR_v: "env" };
const tfvars = { "terraform.tfvars": 'v = "tfvars"\n' };
const tfvarsJson = { "terraform.tfvars.json": '{ "v": "tfvars.json" }\n' };
const auto = { "a.auto.tfvars": 'v = "a.auto"\n', "b.auto.tfvars.json": '{ "v": "b.auto.json" }\n' };
const cliFile = { "extra/prod.tfvars": 'v = "prod"\n' };
const cliVar: CliVariable = { kind: "var", name: "v", value: "cli" };
const cliVarFile: CliVariable = { kind: "file", path: "extra/prod.tfvars" };

const cases: Case[] = [
  { name: "TF_VAR_ alone", inputs: { env }, winner: { value: "env", origin: "TF_VAR_v" } },
  {
    name: "terraform.tfvars over TF_VAR_",
    files: tfvars,
    inputs: { env },
    winner: { value: "tfvars", origin: "terraform.tfvars" },
  },
  {
    name: "terraform.tfvars.json over terraform.tfvars",
    files: { ...tfvars, ...tfvarsJson },
    inputs: { env },
    winner: { value: "tfvars.json", origin: "terraform.tfvars.json" },
  },
  {
    name: "*.auto.tfvars over terraform.tfvars.json",
    files: { ...tfvarsJson, "a.auto.tfvars": 'v = "a.auto"\n' },
    winner: { value: "a.auto", origin: "a.auto.tfvars" },
  },
  {
    name: "auto files in lexical order of their names, .json or not",
    files: { ...tfvars, ...auto },
    winner: { value: "b.auto.json", origin: "b.auto.tfvars.json" },
  },
  {
    name: "a later name wins over an earlier .json",
    files: { "z.auto.tfvars": 'v = "z"\n', "b.auto.tfvars.json": '{ "v": "b" }\n' },
    winner: { value: "z", origin: "z.auto.tfvars" },
  },
  {
    name: "--var over every file",
    files: { ...tfvars, ...auto },
    inputs: { env, cli: [cliVar] },
    winner: { value: "cli", origin: "--var v" },
  },
  {
    name: "--var then --var-file: the file wins",
    files: { ...tfvars, ...cliFile },
    inputs: { cli: [cliVar, cliVarFile] },
    winner: { value: "prod", origin: "prod.tfvars" },
  },
  {
    name: "--var-file then --var: the variable wins",
    files: { ...tfvars, ...cliFile },
    inputs: { cli: [cliVarFile, cliVar] },
    winner: { value: "cli", origin: "--var v" },
  },
  {
    name: "the last of several --var",
    inputs: { cli: [cliVar, { kind: "var", name: "v", value: "last" }] },
    winner: { value: "last", origin: "--var v" },
  },
  {
    name: "a file that sets other variables leaves v alone",
    files: { "terraform.tfvars": "other = 1\n" },
    inputs: { env },
    winner: { value: "env", origin: "TF_VAR_v" },
  },
];

describe("variable definition precedence", () => {
  it.each(cases)("$name", async ({ files = {}, inputs = {}, winner }) => {
    const root = await writeTree({ "main.tf": 'variable "v" {\n  default = "default"\n}\n', ...files });
    const reader = new VariableReader(inputs, root, parseHcl);
    const { values, errors } = await reader.rootValues(root, workingTree);
    expect(errors).toEqual([]);
    expect(values.get("v")).toMatchObject(winner);
  });

  it("marks values from the environment and --var as raw text, to be read by the variable's type", async () => {
    const root = await writeTree({ "main.tf": "", "terraform.tfvars": "n = 3\n" });
    const { values } = await new VariableReader(
      { env: { TF_VAR_m: "4", PATH: "/bin", TF_VAR_: "x" }, cli: [{ kind: "var", name: "k", value: "[1]" }] },
      root,
      parseHcl,
    ).rootValues(root, workingTree);
    expect(Object.fromEntries(values)).toEqual({
      m: { value: "4", raw: true, origin: "TF_VAR_m" },
      n: { value: 3, origin: "terraform.tfvars" },
      k: { value: "[1]", raw: true, origin: "--var k" },
    });
  });

  it("reports a --var-file that cannot be read, and a tfvars file that does not parse, with their positions", async () => {
    const root = await writeTree({ "main.tf": "", "terraform.tfvars": 'v = "unterminated\n' });
    const { errors } = await new VariableReader(
      { cli: [{ kind: "file", path: "missing.tfvars" }] },
      root,
      parseHcl,
    ).rootValues(root, workingTree);
    expect(errors.map((e) => `${e.file}${e.line ? `:${e.line}` : ""}`)).toEqual(
      expect.arrayContaining(["missing.tfvars", "terraform.tfvars:1"]),
    );
  });
});

/** A key whose existence depends on a root variable: the command line decides the verdict. */
const gated = {
  "main.tf": [
    'variable "create_key" {\n  type    = bool\n  default = false\n}\n',
    'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n',
    'resource "aws_iam_access_key" "ci" {\n  count = var.create_key ? 1 : 0\n  user  = aws_iam_user.ci.name\n}\n',
    'module "team" {\n  source = "./team"\n}\n',
  ].join(""),
  "team/main.tf": [
    'variable "create_key" {\n  type    = bool\n  default = false\n}\n',
    'resource "aws_iam_user" "t" {\n  name = "t"\n}\n',
    'resource "aws_iam_access_key" "t" {\n  count = var.create_key ? 1 : 0\n  user  = aws_iam_user.t.name\n}\n',
  ].join(""),
  "on.tfvars": "create_key = true\n",
};

describe("root variables from the command line and the environment", () => {
  const verdict = async (argv: string[], envVars: NodeJS.ProcessEnv = {}) => {
    const root = await writeTree(gated);
    const { code, stdout, stderr } = await runCli(["-f", "json", ...argv], root, envVars);
    const report = JSON.parse(stdout) as { findings: { resource: string }[] };
    return { code, stderr, flagged: report.findings.map((f) => f.resource).sort() };
  };

  it.each<[string, string[], NodeJS.ProcessEnv, string[]]>([
    ["the default (false)", ["."], {}, []],
    ["--var create_key=true", ["--var", "create_key=true", "."], {}, ["aws_iam_access_key.ci"]],
    ["--var=create_key=true", ["--var=create_key=true", "."], {}, ["aws_iam_access_key.ci"]],
    ["TF_VAR_create_key=true", ["."], { TF_VAR_create_key: "true" }, ["aws_iam_access_key.ci"]],
    ["--var overrides TF_VAR_", ["--var", "create_key=false", "."], { TF_VAR_create_key: "true" }, []],
    ["--var-file", ["--var-file", "on.tfvars", "."], {}, ["aws_iam_access_key.ci"]],
    [
      "--var-file then --var: the later --var wins",
      ["--var-file", "on.tfvars", "--var", "create_key=false", "."],
      {},
      [],
    ],
    [
      "--var then --var-file: the later file wins",
      ["--var", "create_key=false", "--var-file", "on.tfvars", "."],
      {},
      ["aws_iam_access_key.ci"],
    ],
  ])("%s (values apply to the root module only, never to module team)", async (_name, argv, envVars, expected) => {
    const result = await verdict(argv, envVars);
    expect(result.stderr).toBe("");
    expect(result.flagged).toEqual(expected);
  });

  it("refuses --var without NAME=, and a --var-file that does not exist", async () => {
    const root = await writeTree(gated);
    const bad = await runCli(["--var", "create_key", "."], root);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--var takes NAME=VALUE, got "create_key"');
    const missing = await runCli(["--var-file", "nope.tfvars", "-f", "json", "."], root);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).errors).toEqual([expect.objectContaining({ file: "nope.tfvars" })]);
  });

  it("a key behind a variable with no value anywhere is assumed created, and says so", async () => {
    const root = await writeTree({
      "main.tf":
        'variable "create_key" {\n  type = bool\n}\nresource "aws_iam_user" "ci" {\n  name = "ci"\n}\nresource "aws_iam_access_key" "ci" {\n  count = var.create_key ? 1 : 0\n  user  = aws_iam_user.ci.name\n}\n',
    });
    const { stdout } = await runCli(["-f", "json", "."], root);
    const [finding] = JSON.parse(stdout).findings as { evidence: StaticPairEvidence; message: string }[];
    expect(finding!.evidence.undecided).toEqual(["count = var.create_key ? 1 : 0"]);
    expect(finding!.message).toContain(
      "Assumed to be created, since keygate cannot decide: count = var.create_key ? 1 : 0.",
    );
  });
});
