import { existsSync, statSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDirectory } from "../../src/load/make-directory.js";

describe("makeDirectory", () => {
  it("makes missing parents, and accepts a directory that exists", async () => {
    const root = await mkdtemp(join(tmpdir(), "keygate-mkdir-"));
    const dir = join(root, "a", "b", "c");
    await makeDirectory(dir);
    await makeDirectory(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it("fails once, without hanging, where no directory can be made (/proc; Node's recursive mkdir never settles there)", async () => {
    await expect(makeDirectory("/proc/keygate-no/such")).rejects.toMatchObject({ code: "ENOENT" });
    expect(existsSync("/proc/keygate-no")).toBe(false);
  });

  it("fails under a file", async () => {
    const root = await mkdtemp(join(tmpdir(), "keygate-mkdir-"));
    await writeFile(join(root, "f"), "");
    await expect(makeDirectory(join(root, "f", "d"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
