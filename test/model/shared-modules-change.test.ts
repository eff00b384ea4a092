import { describe, expect, it } from "vitest";
import { GitHistory } from "../change/git-history.js";

// End-to-end (git histories): a pair in a shared local module in change mode. One finding per
// calling instance is tested in shared-modules.test.ts.

const PAIR = `variable "name" {}\nresource "aws_iam_user" "this" {\n  name = var.name\n}\nresource "aws_iam_access_key" "this" {\n  user = aws_iam_user.this.name\n}\n`;
const call = (name: string, source: string, user: string) =>
  `module "${name}" {\n  source = "${source}"\n  name   = "${user}"\n}\n`;

describe("change mode: the finding is where the change created the instance", () => {
  it("a pull request adding a fourth module block is reported at that block, not at the unchanged module", async () => {
    const repo = GitHistory.create();
    repo.commit("three callers", {
      "modules/pair/main.tf": PAIR,
      "envs/a/main.tf": call("pair", "../../modules/pair", "a"),
      "envs/b/main.tf": call("pair", "../../modules/pair", "b"),
      "envs/c/main.tf": call("pair", "../../modules/pair", "c"),
    });
    repo.write({ "envs/d/main.tf": "\n" + call("pair", "../../modules/pair", "d") });
    const result = await repo.keygate(["--base", "HEAD"]);
    expect(result.code).toBe(1);
    const [finding] = result.report!.findings as unknown as {
      resource: string;
      location: { file: string; line: number };
      relatedLocations: { role: string; location: { file: string; line: number } }[];
    }[];
    expect(result.report!.findings).toHaveLength(1);
    expect(`${finding!.resource} ${finding!.location.file}:${finding!.location.line}`).toBe(
      "module.pair.aws_iam_access_key.this envs/d/main.tf:2",
    );
    // The key's block is kept as a related location.
    expect(finding!.relatedLocations.find((r) => r.role === "key")?.location).toMatchObject({
      file: "modules/pair/main.tf",
      line: 5,
    });
  });

  it("when the module itself changed (a pair added to it), its callers' findings stay at the module's key", async () => {
    const repo = GitHistory.create();
    repo.commit("a bucket per caller", {
      "modules/pair/main.tf": `variable "name" {}\nresource "aws_s3_bucket" "this" {\n  bucket = var.name\n}\n`,
      "envs/a/main.tf": call("pair", "../../modules/pair", "a"),
      "envs/b/main.tf": call("pair", "../../modules/pair", "b"),
    });
    repo.write({ "modules/pair/main.tf": PAIR });
    const result = await repo.keygate(["--base", "HEAD"]);
    expect(result.report!.findings.map((f) => `${f.resource} ${f.location.file}:${f.location.line}`)).toEqual([
      "module.pair.aws_iam_access_key.this modules/pair/main.tf:5",
      "module.pair.aws_iam_access_key.this modules/pair/main.tf:5",
    ]);
  });
});
