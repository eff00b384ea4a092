import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { compileSchema, SCHEMA_FILES } from "../../src/load/validate.js";

/**
 * The validators the build precompiles (scripts/build-validators.mjs → dist/validators/): a run
 * loads them instead of ajv. They must load on their own (ajv's one runtime helper is written into
 * them, so that loading one does not resolve ajv through node_modules) and judge as ajv does.
 */
const DIR = join(import.meta.dirname, "..", "..", "dist", "validators");

function loadAlone(file: string): (data: unknown) => boolean {
  const module = { exports: {} as unknown };
  const require = (id: string) => {
    throw new Error(`the validator requires ${id}`);
  };
  runInNewContext(readFileSync(join(DIR, file), "utf8"), { module, exports: module.exports, require });
  return module.exports as (data: unknown) => boolean;
}

const SAMPLES: Record<string, unknown[]> = {
  "config.schema.json": [{}, { exclude: ["a/**"] }, { exclude: 5 }, { failOn: "warning" }, { nope: 1 }],
  "policy.schema.json": [
    JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "policies", "KG001.json"), "utf8")),
    {},
    { id: 1 },
  ],
  "baseline.schema.json": [{}, { version: 1, findings: [] }, { version: 1, findings: [{ resource: "" }] }],
  "modules.schema.json": [{}, { modules: [] }, { modules: [{ source: "" }] }],
  "plan.schema.json": [{}, { format_version: "1.2" }, { resource_changes: "x" }],
};

describe("the precompiled validators", () => {
  it("load without requiring any module, and judge every sample as ajv's compiled schema does", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".cjs"));
    expect(files.map((f) => `${basename(f, ".cjs")}.json`).sort()).toEqual(Object.keys(SCHEMA_FILES).sort());
    let rejected = 0;
    for (const file of files) {
      const name = `${basename(file, ".cjs")}.json`;
      const validate = loadAlone(file);
      const reference = compileSchema(JSON.parse(readFileSync(SCHEMA_FILES[name]!, "utf8")) as object);
      for (const sample of SAMPLES[name]!) {
        const verdict = validate(sample);
        expect(verdict, `${name}: ${JSON.stringify(sample)}`).toBe(reference(sample));
        if (!verdict) rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(5);
  });

  it("count characters as ajv does for minLength/maxLength (its ucs2length: a surrogate pair is one)", () => {
    const validate = loadAlone("baseline.schema.cjs");
    const reference = compileSchema(JSON.parse(readFileSync(SCHEMA_FILES["baseline.schema.json"]!, "utf8")) as object);
    for (const file of ["", "x", "\ud83d\ude00", "\ud83d"]) {
      const sample = { version: 1, findings: [{ ruleId: "KG001", resource: "r", file, fingerprint: "f" }] };
      expect(validate(sample), JSON.stringify(file)).toBe(reference(sample));
    }
  });
});
