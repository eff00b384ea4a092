// Compiles the package's JSON Schemas to standalone validator code with ajv (CommonJS), so that a
// run loads a small generated function instead of ajv's compiler. Runs after `tsc` in `npm run build`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { AJV_OPTIONS, SCHEMA_FILES } from "../dist/load/validate.js";

const out = join(import.meta.dirname, "..", "dist", "validators");
mkdirSync(out, { recursive: true });
for (const [name, path] of Object.entries(SCHEMA_FILES)) {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const validate = ajv.compile(JSON.parse(readFileSync(path, "utf8")));
  writeFileSync(
    join(out, `${basename(name, ".json")}.cjs`),
    standaloneCode.default ? standaloneCode.default(ajv, validate) : standaloneCode(ajv, validate),
  );
}
