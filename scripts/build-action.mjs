// Builds the self-contained bundle of the GitHub Action and the pre-commit hook,
// action/dist/index.mjs, from the build in dist/ (`npm run build:action` runs `npm run build`
// first). One ESM file that needs no node_modules: keygate and its dependencies, hcl2json's
// WebAssembly parser (embedded), the schemas' precompiled validators; the bundle is also its own
// parse worker. It reads package.json and policies/ from the repository it is committed in. The AWS
// SDK is left out (`keygate live` is not for the Action or the hook) and replaced by a module that
// says so. The output is deterministic: the check-dist test (test/release/action.test.ts) builds it
// again and compares it with the committed file.
//   node scripts/build-action.mjs [--outfile FILE]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import { yargsOwnPackage } from "./esbuild-plugins.mjs";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
const outfileArg = process.argv.indexOf("--outfile");
const outfile = outfileArg > 0 ? process.argv[outfileArg + 1] : join(root, "action", "dist", "index.mjs");
if (!existsSync(join(dist, "action", "index.js"))) {
  console.error("build-action: dist/ is missing or stale: run `npm run build` first (npm run build:action does)");
  process.exit(2);
}

// The generated validators, by schema name (dist/validators/config.schema.cjs → config.schema.json).
const validators = readdirSync(join(dist, "validators"))
  .filter((f) => f.endsWith(".cjs"))
  .sort();
const posix = (p) => p.split("\\").join("/");
const entry = [
  `import { provideValidators } from "./dist/load/validate.js";`,
  `import { useParseWorkerFile } from "./dist/load/parse-pool.js";`,
  `import { fileURLToPath } from "node:url";`,
  ...validators.map((f, i) => `import validator${i} from "./dist/validators/${f}";`),
  `import { cli, start } from "./dist/action/index.js";`,
  `provideValidators({ ${validators.map((f, i) => `${JSON.stringify(f.replace(/\.cjs$/, ".json"))}: validator${i}`).join(", ")} });`,
  `useParseWorkerFile(fileURLToPath(import.meta.url));`,
  `await start(import.meta.url);`,
  `export { cli };`,
].join("\n");

/** hcl2json reads its WebAssembly from a file beside it: embedded here, as the gzipped bytes it reads. */
const embedHcl2jsonWasm = {
  name: "embed-hcl2json-wasm",
  setup(b) {
    b.onLoad({ filter: /[\\/]@cdktf[\\/]hcl2json[\\/]lib[\\/]bridge\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const read = 'await fs.readFile((0, path_1.join)(__dirname, "..", "main.wasm.gz"))';
      if (!source.includes(read))
        throw new Error(
          `build-action: ${posix(relative(root, args.path))} no longer reads main.wasm.gz as expected: update the embed-hcl2json-wasm plugin`,
        );
      return {
        contents: source.replace(read, '((m) => m.default ?? m)(require("../main.wasm.gz"))'),
        loader: "js",
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** The AWS SDK (for `keygate live`) is not in the bundle: importing it says so, in keygate's words. */
const noAwsSdk = {
  name: "no-aws-sdk",
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) => ({ path: args.path, namespace: "no-aws-sdk" }));
    b.onLoad({ filter: /.*/, namespace: "no-aws-sdk" }, () => ({
      // CommonJS, so that its importers' named imports are looked up when it runs (never: it throws).
      contents:
        'module.exports = {};\nthrow new Error("keygate live is not part of the GitHub Action or the pre-commit hook: install keygate from npm to audit AWS accounts");',
      loader: "js",
    }));
  },
};

await build({
  stdin: { contents: entry, resolveDir: root, sourcefile: "action-entry.mjs", loader: "js" },
  absWorkingDir: root,
  outfile,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // jsonc-parser's UMD build requires its own files at run time; its ESM build bundles cleanly.
  mainFields: ["module", "main"],
  loader: { ".gz": "binary" },
  // wasm_exec polyfills `performance` from a module of that name on Node versions older than keygate's.
  external: ["performance"],
  plugins: [embedHcl2jsonWasm, noAwsSdk, yargsOwnPackage()],
  // Bundled CommonJS dependencies may call require().
  banner: {
    js: `// keygate's GitHub Action and pre-commit hook, bundled by scripts/build-action.mjs (npm run build:action): do not edit.\nimport { createRequire as __keygateRequire } from "node:module"; const require = __keygateRequire(import.meta.url);`,
  },
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});
console.log(`build-action: ${posix(relative(root, outfile))}`);
