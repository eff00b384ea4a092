import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/load/config.js";
import { readAhead, READ_AHEAD_MIN_FILES } from "../../src/load/read-ahead.js";
import { readWorkingTreeText } from "../../src/load/read.js";
import { surveyFiles, surveyWorkingTree, type SurveyedFile } from "../../src/load/survey.js";
import { workingTree } from "../../src/load/tree.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { scan } from "../../src/scan.js";
import { TODAY } from "../support/scan-fixture.js";

import { generateMonorepo } from "../../scripts/bench/generate-monorepo.mjs";

/**
 * A generated monorepo (enough files for the read-ahead to start) in a git repository, with the
 * files a worker must leave to the caller's own read: links (inside and out of the repository),
 * a FIFO, a directory named like a Terraform file, and files the decoder refuses or reads.
 */
let dir: string;
let outside: string;
let paths: string[];
// Last in the order of the files (the caller reads from the first): the worker, which runs ahead, meets them first.
const special = {
  linkInside: "zz/linked.tf",
  linkOutside: "zz/escape.tf",
  fifo: "zz/pipe.tf",
  directory: "zz/dir.tf",
  binary: "zz/binary.tf",
  utf16: "zz/wide.tf",
  latin1: "zz/latin1.tf",
  utf8: "zz/accents.tf",
  empty: "zz/empty.tf",
  broken: "zz/broken.tf",
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keygate-read-ahead-"));
  outside = mkdtempSync(join(tmpdir(), "keygate-read-ahead-out-"));
  generateMonorepo(dir, { files: 700, violations: 3, roots: 40 });
  execFileSync("git", ["init", "-q"], { cwd: dir });
  mkdirSync(join(dir, "zz"));
  writeFileSync(join(outside, "secret.tf"), 'resource "aws_iam_user" "outside" {\n  name = "x"\n}\n');
  symlinkSync(join(dir, "envs/stack-0000/main.tf"), join(dir, special.linkInside));
  symlinkSync(join(outside, "secret.tf"), join(dir, special.linkOutside));
  execFileSync("mkfifo", [join(dir, special.fifo)]);
  mkdirSync(join(dir, special.directory));
  writeFileSync(join(dir, special.binary), Buffer.from([0x72, 0x65, 0x00, 0x01, 0x02]));
  writeFileSync(join(dir, special.utf16), Buffer.from("\ufefflocals {}\n", "utf16le"));
  writeFileSync(join(dir, special.latin1), Buffer.from('locals {\n  x = "caf\xe9"\n}\n', "latin1"));
  writeFileSync(join(dir, special.utf8), 'locals {\n  x = "café ✓"\n}\n');
  writeFileSync(join(dir, special.empty), "");
  writeFileSync(join(dir, special.broken), 'resource "aws_iam_user" "b" {\n  name = "x"\n');
  paths = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (name === ".git") continue;
      if (name.endsWith(".tf")) paths.push(path);
      else if (statSync(path).isDirectory()) walk(path);
    }
  };
  walk(dir);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** What a survey gives, as data (skeletons built). */
const plain = (files: SurveyedFile[]) =>
  files.map(({ read, survey }) => ({
    read,
    survey: survey && {
      wellFormed: survey.wellFormed,
      outlined: survey.outlined,
      skeleton: survey.skeleton && { body: survey.skeleton.body, outline: survey.skeleton.outline },
    },
  }));

async function withReadAhead<T>(setting: "on" | "off", run: () => Promise<T>): Promise<T> {
  const before = process.env.KEYGATE_READ_AHEAD;
  if (setting === "off") process.env.KEYGATE_READ_AHEAD = "off";
  else delete process.env.KEYGATE_READ_AHEAD;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env.KEYGATE_READ_AHEAD;
    else process.env.KEYGATE_READ_AHEAD = before;
  }
}

describe("reading a survey's files ahead", () => {
  it("hands over exactly the bytes of the regular files, and leaves every other file to the caller", async () => {
    expect(paths.length).toBeGreaterThan(READ_AHEAD_MIN_FILES);
    const ahead = readAhead(paths)!;
    expect(ahead).toBeDefined();
    await ahead.finished;
    const specials = new Set(
      [special.linkInside, special.linkOutside, special.fifo, special.directory].map((p) => join(dir, p)),
    );
    let taken = 0;
    paths.forEach((path, index) => {
      const bytes = ahead.take(index);
      if (specials.has(path)) {
        expect(bytes, path).toBeUndefined();
        return;
      }
      // Every regular file fits: the worker read them all before it finished.
      expect(bytes, path).toBeDefined();
      expect(Buffer.from(bytes!).equals(readFileSync(path)), path).toBe(true);
      taken++;
    });
    expect(taken).toBe(paths.length - specials.size);
    // Taken once: asked again, the caller reads it.
    expect(ahead.take(0)).toBeUndefined();
    ahead.stop();
  });

  it("gives each file once, to whoever asks first, when the caller races the worker", async () => {
    const ahead = readAhead(paths)!;
    const results = paths.map((_, index) => {
      const bytes = ahead.take(index);
      return { bytes: bytes && Buffer.from(bytes) };
    });
    ahead.stop();
    await ahead.finished;
    results.forEach(({ bytes }, index) => {
      if (bytes) expect(bytes.equals(readFileSync(paths[index]!)), paths[index]).toBe(true);
    });
    // Stopped: nothing more is handed over.
    expect(paths.every((_, index) => ahead.take(index) === undefined)).toBe(true);
  });

  it("is not started for a few files", () => {
    expect(readAhead(paths.slice(0, READ_AHEAD_MIN_FILES - 1))).toBeUndefined();
  });

  it("surveys as the caller's own reads do: every file, its text or its refusal, its skeleton", async () => {
    // Every file the worker can read, read by it (it is let finish first), against none of them.
    const ahead = readAhead(paths)!;
    await ahead.finished;
    const on = surveyWorkingTree(paths, ahead);
    const off = await withReadAhead("off", () => surveyFiles(paths, workingTree));
    expect(plain(on)).toEqual(plain(off));
    // And as surveyFiles goes, the worker racing the caller.
    expect(plain(await withReadAhead("on", () => surveyFiles(paths, workingTree)))).toEqual(plain(off));
    expect(off.map((f) => f.read)).toEqual(paths.map((path) => readWorkingTreeText(path)));
    // The refusals are among them, as the caller's reads word them.
    const refused = paths.filter((_, index) => !off[index]!.read.ok).map((path) => path.slice(dir.length + 1));
    expect(refused).toEqual(
      expect.arrayContaining([
        special.linkOutside,
        special.fifo,
        special.directory,
        special.binary,
        special.utf16,
        special.latin1,
      ]),
    );
  });

  it("gives the same scan report, input errors included, read ahead or not", async () => {
    const policies = loadPolicies();
    const settings = await loadSettings(policies, dir);
    const run = () => scan({ paths: ["."], cwd: dir, settings, policies, today: TODAY });
    const on = await withReadAhead("on", run);
    const off = await withReadAhead("off", run);
    expect(on).toEqual(off);
    expect(off.findings.length).toBeGreaterThanOrEqual(3);
    expect(off.errors.map((e) => e.file)).toEqual(
      expect.arrayContaining([special.linkOutside, special.binary, special.utf16, special.latin1, special.broken]),
    );
  });
});
