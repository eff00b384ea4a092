// Compiles the package's JSON Schemas to standalone validator code with ajv (CommonJS), so that a
// run loads a small generated function instead of ajv's compiler. Runs after `tsc` in `npm run build`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { AJV_OPTIONS, SCHEMA_FILES } from "../dist/load/validate.js";

const out = join(import.meta.dirname, "..", "dist", "validators");
// The one runtime helper the generated code requires, written into each validator: resolving it
// through node_modules (package.json lookups, ajv's own files) cost a scan more than the
// validator itself. Its source is ajv's, as installed.
const RUNTIME = 'require("ajv/dist/runtime/ucs2length")';
const runtimeFile = createRequire(import.meta.url).resolve("ajv/dist/runtime/ucs2length");
const inlined = `((exports) => {${readFileSync(runtimeFile, "utf8").replace(/\/\/# sourceMappingURL=.*\n?$/, "")}\nreturn exports;})({})`;
mkdirSync(out, { recursive: true });
for (const [name, path] of Object.entries(SCHEMA_FILES)) {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const validate = ajv.compile(JSON.parse(readFileSync(path, "utf8")));
  const code = standaloneCode.default ? standaloneCode.default(ajv, validate) : standaloneCode(ajv, validate);
  const required = code.match(/require\("[^"]*"\)/g) ?? [];
  if (required.some((r) => r !== RUNTIME))
    throw new Error(
      `${name}: the generated validator requires ${required.join(", ")}: inline it in scripts/build-validators.mjs`,
    );
  writeFileSync(join(out, `${basename(name, ".json")}.cjs`), code.replaceAll(RUNTIME, inlined));
}
