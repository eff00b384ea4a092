import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadModuleCatalog,
  matchCatalog,
  ModuleCatalogError,
  MODULE_CATALOG_FILE,
} from "../../src/model/module-catalog.js";
import { canonicalSource, parseModuleSource } from "../../src/model/module-sources.js";
import { parseConstraint, rangesOverlap, satisfies } from "../../src/model/versions.js";

describe("version constraints (hashicorp/go-version, as Terraform reads module versions)", () => {
  it.each<[string, string, boolean]>([
    ["~> 5.0", "5.0.0", true],
    ["~> 5.0", "5.99.1", true],
    ["~> 5.0", "6.0.0", false],
    ["~> 5.1.2", "5.1.9", true],
    ["~> 5.1.2", "5.2.0", false],
    ["~> 5.1.2", "5.1.1", false],
    ["~> 5", "9.0.0", true],
    ["~> 5", "4.9.9", false],
    [">= 4.0, < 6.0", "5.39.0", true],
    [">= 4.0, < 6.0", "6.0.0", false],
    ["> 4.0.0", "4.0.0", false],
    ["<= 4.0.0", "4.0.0", true],
    ["5.39.0", "5.39.0", true],
    ["= 5.39.0", "5.39.1", false],
    ["!= 5.39.0, >= 5.0", "5.39.0", false],
    ["v5.39.0", "5.39.0", true],
    ["6.0.0-beta1", "6.0.0", true],
  ])("%s allows %s: %s", (constraint, version, expected) => {
    const range = parseConstraint(constraint)!;
    const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
    expect(satisfies([major, minor, patch], range)).toBe(expected);
  });

  it.each(["", "~>", "latest", ">= 1.0,", "1.x"])("%j is not a constraint", (text) => {
    expect(parseConstraint(text)).toBeUndefined();
  });

  it.each<[string, string, boolean]>([
    ["~> 5.0", ">= 4.0.0, < 6.0.0", true],
    ["~> 5.0", ">= 6.0.0", false],
    [">= 5.0", ">= 6.0.0", true],
    ["< 4.0.0", ">= 4.0.0, < 6.0.0", false],
    ["<= 4.0.0", ">= 4.0.0, < 6.0.0", true],
    ["= 4.0.0, != 4.0.0", ">= 0.0.0", false],
  ])("%s overlaps %s: %s", (a, b, expected) => {
    expect(rangesOverlap(parseConstraint(a)!, parseConstraint(b)!)).toBe(expected);
  });
});

describe("module sources", () => {
  it.each<[string, ReturnType<typeof parseModuleSource>]>([
    ["./modules/user", { kind: "local", path: "./modules/user" }],
    [
      "terraform-aws-modules/iam/aws//modules/iam-user",
      {
        kind: "registry",
        host: "registry.terraform.io",
        namespace: "terraform-aws-modules",
        name: "iam",
        provider: "aws",
        subdir: "modules/iam-user",
      },
    ],
    [
      "registry.opentofu.org/Cloudposse/iam-system-user/aws",
      {
        kind: "registry",
        host: "registry.opentofu.org",
        namespace: "cloudposse",
        name: "iam-system-user",
        provider: "aws",
        subdir: "",
      },
    ],
    [
      "app.terraform.io/acme/user/aws",
      { kind: "registry", host: "app.terraform.io", namespace: "acme", name: "user", provider: "aws", subdir: "" },
    ],
    [
      "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-user?ref=v5.39.0",
      {
        kind: "git",
        repository: "github.com/terraform-aws-modules/terraform-aws-iam",
        subdir: "modules/iam-user",
        ref: "v5.39.0",
      },
    ],
    [
      "github.com/cloudposse/terraform-aws-iam-system-user?ref=1.2.0",
      { kind: "git", repository: "github.com/cloudposse/terraform-aws-iam-system-user", subdir: "", ref: "1.2.0" },
    ],
    [
      "git@github.com:acme/keys.git//key",
      { kind: "git", repository: "github.com/acme/keys", subdir: "key", ref: undefined },
    ],
    [
      "git::ssh://git@example.com/acme/keys.git",
      { kind: "git", repository: "example.com/acme/keys", subdir: "", ref: undefined },
    ],
    ["s3::https://bucket/module.zip", { kind: "other", source: "s3::https://bucket/module.zip" }],
  ])("%s", (source, expected) => {
    expect(parseModuleSource(source)).toEqual(expected);
  });

  it("compares a call's source with what modules.json recorded", () => {
    expect(canonicalSource("registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-user")).toBe(
      canonicalSource("terraform-aws-modules/iam/aws//modules/iam-user"),
    );
    expect(canonicalSource("git::https://github.com/acme/keys.git?ref=v1")).toBe(
      canonicalSource("github.com/acme/keys?ref=v1"),
    );
    expect(canonicalSource("acme/keys/aws")).not.toBe(canonicalSource("acme/other/aws"));
  });
});

describe("the module catalog", () => {
  const ids = (source: string, version?: string, args: string[] = []) =>
    matchCatalog(source, version, args)?.candidates.map((c) => c.id);
  const iamUser = "terraform-aws-modules/iam/aws//modules/iam-user";

  it("is valid, and covers terraform-aws-modules iam-user v2–v6 and cloudposse iam-system-user and iam-s3-user", () => {
    const entries = loadModuleCatalog();
    expect(entries.map((e) => e.id)).toEqual([
      "terraform-aws-modules/iam-user/v0-v3",
      "terraform-aws-modules/iam-user/v4-v5",
      "terraform-aws-modules/iam-user/v6",
      "cloudposse/iam-system-user",
      "cloudposse/iam-s3-user",
    ]);
    for (const entry of entries) expect(entry.references.length).toBeGreaterThan(0);
  });

  const v6 = "terraform-aws-modules/iam-user/v6";
  const v45 = "terraform-aws-modules/iam-user/v4-v5";
  const v03 = "terraform-aws-modules/iam-user/v0-v3";
  it.each<[string, string | undefined, string[], string[]]>([
    ["~> 5.0", "~> 5.0", [], [v45]],
    ["5.39.0", "5.39.0", [], [v45]],
    [">= 4.0, < 6.0", ">= 4.0, < 6.0", [], [v45]],
    ["~> 6.0", "~> 6.0", [], [v6]],
    ["~> 9.0 (the newest entry describes later releases until the catalog says otherwise)", "~> 9.0", [], [v6]],
    ["3.16.0", "3.16.0", [], [v03]],
    ["2.25.0", "2.25.0", [], [v03]],
    [">= 5.0", ">= 5.0", [], [v6, v45]],
    ["none", undefined, [], [v6, v45, v03]],
    ["none, with an argument only 6.x declares", undefined, ["create_access_key"], [v6]],
    [">= 5.0, with an argument only 5.x declares", ">= 5.0", ["create_iam_access_key", "name"], [v45]],
  ])("iam-user, version %s", (_label, version, args, expected) => {
    expect(ids(iamUser, version, args)).toEqual(expected);
  });

  it("matches the registry module whatever the registry host, and its git repository with a ref", () => {
    expect(ids(`registry.opentofu.org/${iamUser}`, "~> 6.0")).toEqual(["terraform-aws-modules/iam-user/v6"]);
    expect(
      ids("git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-user?ref=v5.39.0"),
    ).toEqual(["terraform-aws-modules/iam-user/v4-v5"]);
    expect(ids("github.com/terraform-aws-modules/terraform-aws-iam//modules/iam-user?ref=v6.1.0")).toEqual([
      "terraform-aws-modules/iam-user/v6",
    ]);
    expect(ids("cloudposse/iam-system-user/aws", "1.2.0")).toEqual(["cloudposse/iam-system-user"]);
    expect(ids("cloudposse/iam-s3-user/aws")).toEqual(["cloudposse/iam-s3-user"]);
  });

  it("knows nothing of other modules, private registries, other submodules", () => {
    expect(matchCatalog("terraform-aws-modules/iam/aws//modules/iam-role", "~> 5.0", [])).toBeUndefined();
    expect(matchCatalog(`app.terraform.io/${iamUser}`, "~> 5.0", [])).toBeUndefined();
    expect(matchCatalog("./modules/iam-user", undefined, [])).toBeUndefined();
  });

  it("says why a version leaves several entries", () => {
    expect(matchCatalog(iamUser, undefined, [])?.versionNote).toBe(
      "the call has no version constraint, which allows terraform-aws-modules/iam-user/v6, terraform-aws-modules/iam-user/v4-v5, terraform-aws-modules/iam-user/v0-v3",
    );
    expect(matchCatalog(iamUser, ">= 5.0", [])?.versionNote).toBe(
      'the version constraint ">= 5.0" allows terraform-aws-modules/iam-user/v6, terraform-aws-modules/iam-user/v4-v5',
    );
    expect(matchCatalog(iamUser, "~> 5.0", [])?.versionNote).toBeUndefined();
  });

  it("refuses an invalid catalog with the key path and what was expected", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keygate-catalog-"));
    await writeFile(
      join(dir, "modules.schema.json"),
      await import("node:fs/promises").then((fs) =>
        fs.readFile(join(MODULE_CATALOG_FILE, "..", "modules.schema.json"), "utf8"),
      ),
    );
    const entry = {
      id: "x/y",
      title: "X module",
      source: "x/y/aws",
      versions: ">= 1.0",
      inputs: { create: { default: true } },
      user: { address: "aws_iam_user.this", when: ["create"], outputs: [] },
      accessKey: { address: "aws_iam_access_key.this", when: ["create"], fix: { input: "create", value: false } },
      references: ["https://example.com"],
    };
    const write = async (data: unknown) => {
      await writeFile(join(dir, "modules.json"), JSON.stringify(data));
      return () => loadModuleCatalog(join(dir, "modules.json"));
    };
    expect(await write({ version: 1, modules: [entry] })).not.toThrow();
    expect(await write({ version: 1, modules: [{ ...entry, references: undefined }] })).toThrow(
      /Key "modules": Key "0": Missing required key "references"/,
    );
    expect(
      await write({
        version: 1,
        modules: [{ ...entry, accessKey: { ...entry.accessKey, when: ["create", "create_key"] } }],
      }),
    ).toThrow(ModuleCatalogError);
    expect(
      await write({
        version: 1,
        modules: [{ ...entry, accessKey: { ...entry.accessKey, when: ["create", "create_key"] } }],
      }),
    ).toThrow(/condition input "create_key" is not among its inputs/);
    expect(await write({ version: 1, modules: [{ ...entry, versions: "latest" }] })).toThrow(
      /is not a version constraint/,
    );
    expect(await write({ version: 1, modules: [entry, entry] })).toThrow(/the id is used twice/);
  });
});
