import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { writeTree } from "../support/scan-fixture.js";

/** Colours of the text report from the built bin, whose stdout is a pipe here (not a terminal). */
const BIN = join(import.meta.dirname, "..", "..", "dist", "bin.js");
const run = promisify(execFile);
const PAIR =
  'resource "aws_iam_user" "u" {\n  name = "u"\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n';

async function report(env: NodeJS.ProcessEnv, args: string[] = []): Promise<string> {
  const dir = await writeTree({ "main.tf": PAIR });
  try {
    await run(process.execPath, [BIN, "--no-cache", ...args, "."], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
    });
    return "";
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

const RED_ERROR = "\x1b[31merror\x1b[39m";

describe("colour", () => {
  it("is off on a pipe, and FORCE_COLOR turns it on", async () => {
    expect(await report({})).not.toContain("\x1b[");
    expect(await report({ FORCE_COLOR: "1" })).toContain(
      `  \x1b[2m5:1\x1b[22m  ${RED_ERROR}  Access key aws_iam_access_key.k`,
    );
    expect(await report({ FORCE_COLOR: "" })).toContain(RED_ERROR);
  });

  it("FORCE_COLOR=0 or false, and --no-color, turn it off; NO_COLOR gives way to FORCE_COLOR", async () => {
    expect(await report({ FORCE_COLOR: "0" })).not.toContain("\x1b[");
    expect(await report({ FORCE_COLOR: "false" })).not.toContain("\x1b[");
    expect(await report({ FORCE_COLOR: "1" }, ["--no-color"])).not.toContain("\x1b[");
    expect(await report({ NO_COLOR: "1" }, ["--color"])).toContain(RED_ERROR);
    expect(await report({ NO_COLOR: "1", FORCE_COLOR: "1" })).toContain(RED_ERROR);
  });
});
