// Bundles the CLI (dist/cli.js and the command modules it loads lazily) into dist/bundle/ with
// esbuild, after `tsc` in `npm run build`. Node loads one ESM file per module, and resolving,
// reading and linking the ~100 modules of keygate and yargs took as long as a small scan; the
// bundle starts in about half the time. Code splitting keeps the lazy imports lazy (yargs, `keygate
// live` and the AWS SDK, the change-aware scan, globby, the YAML parser).
// The library entry (dist/index.js) stays unbundled. Packages with files of their own to load
// (hcl2json's WebAssembly, the AWS SDK) stay outside the bundle and are imported as usual.
//
// What a scan loads is two builds:
// - early.js, which the bin loads first (the quick reading of the command line, git asked early),
//   is a file of its own, self-contained: the few modules it needs (quick-args, git, usage, report
//   targets) are in it and again in the CLI's files. Shared with the CLI, they split the CLI into
//   chunks by which of the two use them, and every file costs a scan about a millisecond of
//   Node's module loading (resolving, reading, linking, each chunk's own `require`), more than
//   compiling twice what is shared. The copies share what must be shared through a global (git's
//   early answer, see load/git.ts); the CLI takes early.js's reading of the command line only as
//   plain data (see cli.ts's `run`).
// - the CLI (cli.js with the scan command in it) and its lazy parts, split by esbuild: a scan of a
//   directory loads cli.js and the chunks it shares with `live` and the change-aware scan.
import { builtinModules } from "node:module";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { yargsOwnPackage } from "./esbuild-plugins.mjs";

const dist = join(import.meta.dirname, "..", "dist");
const outdir = join(dist, "bundle");
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// Bundled CommonJS dependencies may call require(): a function that makes Node's on first use
// (createRequire costs a run a millisecond or two, and most runs never call it).
const BANNER =
  'var __keygateRequire; function require(...args) { return (__keygateRequire ??= process.getBuiltinModule("node:module").createRequire(import.meta.url))(...args); }';
const common = {
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // jsonc-parser's UMD build requires its own files at run time; its ESM build bundles cleanly.
  mainFields: ["module", "main"],
  external: ["@cdktf/hcl2json", "@aws-sdk/*", "@smithy/*"],
  banner: { js: BANNER },
  // Whitespace only (names and syntax as written, for readable stack traces): a smaller package, less for Node to read.
  minifyWhitespace: true,
  logLevel: "warning",
  write: false,
};

// The shipped policies' data, checked against its schema here, once: a run whose data files read
// exactly so skips that check (see loadPolicies in src/policies/catalog.ts).
const { checkedPolicyData } = await import(pathToFileURL(join(dist, "policies", "catalog.js")).href);
const define = { KEYGATE_CHECKED_POLICY_DATA: JSON.stringify(checkedPolicyData()) };

/**
 * Node's own modules, taken with process.getBuiltinModule (Node 20.16+) where the bundle imports
 * them: an ES module import of one makes Node build an ES module facade of it, reading every one
 * of its exports (which loads what its lazy getters hold: fs.promises, crypto.webcrypto, …).
 * Only the exports the bundle uses are read, once, when the chunk that holds them is evaluated.
 */
function builtinsByGetter() {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  return {
    name: "builtins-by-getter",
    setup(b) {
      b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
        args.kind === "import-statement" && builtins.has(args.path) && !/[\\/]node_modules[\\/]/.test(args.importer)
          ? { path: args.path.startsWith("node:") ? args.path : `node:${args.path}`, namespace: "node-builtin" }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "node-builtin" }, async (args) => {
        const names = Object.keys(await import(args.path)).filter(
          (n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n),
        );
        return {
          contents: [
            `const m = process.getBuiltinModule(${JSON.stringify(args.path)});`,
            "const get = (name) => m[name];",
            "export default m;",
            ...names.map((n) => `export const ${n} = /* @__PURE__ */ get(${JSON.stringify(n)});`),
          ].join("\n"),
          loader: "js",
        };
      });
    },
  };
}

const outputs = [
  ...(
    await build({
      ...common,
      entryPoints: { early: join(dist, "early.js") },
      splitting: false,
      plugins: [builtinsByGetter()],
    })
  ).outputFiles,
  ...(
    await build({
      ...common,
      entryPoints: { cli: join(dist, "cli.js") },
      splitting: true,
      define,
      plugins: [yargsOwnPackage(), builtinsByGetter()],
    })
  ).outputFiles,
];
for (const file of outputs) {
  // The banner's createRequire costs each file that loads it; only files that name `require` keep it.
  const rest = file.text.startsWith(BANNER) ? file.text.slice(BANNER.length) : undefined;
  writeFileSync(file.path, rest !== undefined && !/\brequire\b/.test(rest) ? rest.replace(/^\n/, "") : file.text);
}

// tsc writes the bin without the executable bit; npm runs it as a program (npx keygate, the bin link).
chmodSync(join(dist, "bin.js"), 0o755);
