import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeTree } from "../support/scan-fixture.js";
import { bin, PAIR, ROOT, STACK_TRACE } from "./support.js";

/** `depth` nested tuples in a local's value, as HCL. */
const deepHcl = (depth: number) => `locals {\n  x = ${"[".repeat(depth)}1${"]".repeat(depth)}\n}\n${PAIR}`;
/** The same in Terraform's JSON syntax. */
const deepJson = (depth: number) => `{"locals": {"x": ${"[".repeat(depth)}1${"]".repeat(depth)}}}\n`;

describe("bounded work", () => {
  it(
    "deep nesting is an input error naming the file and the depth, on every path, without a hang or a trace",
    { timeout: 600_000 },
    async () => {
      for (const depth of [300, 2_500, 6_000, 10_000]) {
        const dir = await writeTree({
          "deep.tf": deepHcl(depth),
          "json/deep.tf.json": deepJson(depth),
          "json/user.tf": PAIR,
        });
        writeFileSync(
          join(dir, "plan.json"),
          `{"format_version":"1.2","resource_changes":${"[".repeat(depth)}${"]".repeat(depth)}}`,
        );
        for (const args of [["."], [".", "--no-prefilter"], ["plan.json"]]) {
          const run = await bin([...args, "-f", "json", "--no-cache"], dir, { timeoutMs: 60_000 });
          const what = `${depth} ${args.join(" ")}`;
          expect(run.signal, what).toBeNull();
          expect(run.code, what).toBe(2);
          expect(run.stderr, what).not.toMatch(STACK_TRACE);
          const errors = JSON.parse(run.stdout).errors as { file: string; message: string }[];
          expect(errors.length, what).toBeGreaterThan(0);
          for (const error of errors)
            expect(error.message, what).toMatch(
              /^Nesting too deep: brackets nest more than 256 levels here \(level 257\)/,
            );
        }
      }
    },
  );

  it("nesting up to the limit is read", async () => {
    const dir = await writeTree({ "main.tf": deepHcl(250) });
    const run = await bin([".", "--no-cache"], dir);
    expect(run.code).toBe(1);
  });

  it(
    "100,000 resources in one file: every pair found, within minutes on a loaded machine (was 106-562 s)",
    { timeout: 600_000 },
    async () => {
      const blocks: string[] = [];
      for (let i = 0; i < 50_000; i++)
        blocks.push(
          `resource "aws_iam_user" "u${i}" {\n  name = "user-${i}"\n}\n\nresource "aws_iam_access_key" "k${i}" {\n  user = aws_iam_user.u${i}.name\n}\n`,
        );
      const dir = await writeTree({ "main.tf": blocks.join("\n") });
      // A bound, not a benchmark (see npm run bench): the quadratic lookup took several minutes.
      const run = await bin([".", "--no-cache", "-f", "json"], dir, { timeoutMs: 300_000 });
      expect(run.signal).toBeNull();
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout).summary.findings).toBe(50_000);
    },
  );
});

describe("messages, not traces", () => {
  const shell = (script: string, cwd: string) =>
    new Promise<{ stdout: string; stderr: string }>((done) =>
      execFile(
        "sh",
        ["-c", script],
        { cwd, timeout: 120_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
        (_, stdout, stderr) => done({ stdout, stderr }),
      ),
    );
  const many = () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`s${i}/main.tf`] = PAIR;
    return writeTree(files);
  };

  it("a closed pipe (| head -1) ends quietly with the exit code already decided", async () => {
    const dir = await many();
    const { stdout, stderr } = await shell(
      `("${process.execPath}" "${join(ROOT, "dist", "bin.js")}" . --no-cache; echo "exit=$?" >&2) | head -1`,
      dir,
    );
    expect(stdout.split("\n")).toHaveLength(2);
    expect(stderr).toBe("exit=1\n");
  });

  it("a full disk (> /dev/full) is one line and exit 2", async () => {
    const dir = await many();
    const { stderr } = await shell(
      `"${process.execPath}" "${join(ROOT, "dist", "bin.js")}" . --no-cache > /dev/full; echo "exit=$?" >&2`,
      dir,
    );
    expect(stderr).toMatch(/^keygate: cannot write the report to stdout: ENOSPC [^\n]*\nexit=2\n$/);
  });
});
