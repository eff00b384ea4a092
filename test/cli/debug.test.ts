import { copyFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeTree } from "../support/scan-fixture.js";
import { bin, git, PAIR, ROOT } from "../hostile/support.js";

/** --debug, through the built bin: what became of each file, and why, on stderr (stdout's report unchanged). */
const WORDS =
  "variable, locals, output, moved, module, import, keygate:ignore, aws_iam_access_key, aws_iam_user, aws_iam_user_login_profile";
const debugLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("keygate: debug:"));

describe("--debug", () => {
  it(
    "lists each file read, skipped by the prefilter, taken from the cache or refused, and why; then the --verbose summary",
    { timeout: 120_000 },
    async () => {
      const dir = await writeTree({
        "iam/main.tf": PAIR,
        "iam/s3.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "logs"\n}\n',
        "net/main.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n',
        "mod/broken.tf": 'resource "aws_iam_user" "u" {\n  name = \n}\n',
        "json/main.tf.json": '{"resource": {"aws_iam_user": {"j": {"name": "j"}}}}\n',
      });
      writeFileSync(join(dir, "huge.tf"), "");
      truncateSync(join(dir, "huge.tf"), 600 * 1048576);
      copyFileSync(join(ROOT, "test", "fixtures", "plans", "special", "format-1.1.json"), join(dir, "tfplan.json"));
      git(dir, "init", "-q");
      git(dir, "add", "iam", "net", "mod", "json");
      const cache = join(dir, ".cache");
      const env = { XDG_STATE_HOME: join(dir, ".state") };

      const plain = await bin([".", "tfplan.json", "-f", "json", "--cache-location", cache], dir, { env });
      const first = await bin([".", "tfplan.json", "-f", "json", "--debug", "--cache-location", cache], dir, { env });
      // The report is the same with --debug; only stderr says more.
      expect(JSON.parse(first.stdout).findings).toEqual(JSON.parse(plain.stdout).findings);
      expect(first.code).toBe(2);
      const prefilterGraph =
        "by the prefilter: no configuration it belongs to names a resource type the policies check, so only its module calls and comments were read";
      expect(debugLines(first.stderr)).toEqual([
        "keygate: debug: refused  huge.tf: is 600 MB: keygate reads files up to 511 MB (the longest text JavaScript can hold); exclude it, or split it",
        // The run before warmed the cache: unchanged tracked files are taken from it.
        "keygate: debug: cached   iam/main.tf: unchanged since an earlier run (its git blob id checked): its parse taken from the cache",
        `keygate: debug: cached   iam/s3.tf: unchanged since an earlier run (its git blob id checked): what it declares taken from the cache; not parsed, by the prefilter: it mentions none of ${WORDS}`,
        "keygate: debug: read     json/main.tf.json: parsed as Terraform JSON",
        "keygate: debug: read     mod/broken.tf: could not be parsed (reported as an input error)",
        `keygate: debug: cached   net/main.tf: unchanged since an earlier run (its git blob id checked): what it declares taken from the cache; not parsed, ${prefilterGraph}`,
        "keygate: debug: plan     tfplan.json: read as a plan (terraform show -json)",
      ]);
      expect(first.stderr.split("\n").at(-2)).toMatch(
        /^keygate: config none \(defaults\); policies KG001=error; 7 files read, \d+ configurations; prefilter on; cache .*; scanned in [\d.]+ s$/,
      );

      const fresh = await bin([".", "--debug", "--no-cache"], dir, { env });
      expect(debugLines(fresh.stderr).filter((l) => / (iam|net)\//.test(l))).toEqual([
        "keygate: debug: read     iam/main.tf: parsed by keygate's parser",
        `keygate: debug: skipped  iam/s3.tf: by the prefilter: it mentions none of ${WORDS}`,
        `keygate: debug: skipped  net/main.tf: ${prefilterGraph}`,
      ]);
      // Without --debug, stderr says nothing of the files.
      expect(debugLines(plain.stderr)).toEqual([]);
    },
  );

  it("names the side of a change-aware scan each file was read from", { timeout: 120_000 }, async () => {
    const dir = await writeTree({ "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n' });
    git(dir, "init", "-q");
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "user");
    writeFileSync(join(dir, "main.tf"), PAIR);
    const run = await bin(["--base", "HEAD", "--debug", "--no-cache"], dir);
    const head = /Compared with (HEAD \([0-9a-f]{7}\))/.exec(run.stdout)![1];
    expect(debugLines(run.stderr)).toEqual([
      `keygate: debug: read     main.tf: the working tree: parsed by keygate's parser`,
      `keygate: debug: read     main.tf: ${head}: parsed by keygate's parser`,
    ]);
  });
});
