// Bundles the CLI (dist/cli.js and the command modules it loads lazily) into dist/bundle/ with
// esbuild, after `tsc` in `npm run build`. Node loads one ESM file per module, and resolving,
// reading and linking the ~100 modules of keygate and yargs took as long as a small scan; the
// bundle starts in about half the time. Code splitting keeps the lazy command imports lazy.
// The library entry (dist/index.js) stays unbundled. Packages with files of their own to load
// (hcl2json's WebAssembly, the AWS SDK) stay outside the bundle and are imported as usual.
import { chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { yargsOwnPackage } from "./esbuild-plugins.mjs";

const dist = join(import.meta.dirname, "..", "dist");
const outdir = join(dist, "bundle");
rmSync(outdir, { recursive: true, force: true });
await build({
  // The bin loads `early` first (the quick reading of the command line, git asked early), then `cli`.
  entryPoints: { cli: join(dist, "cli.js"), early: join(dist, "early.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // jsonc-parser's UMD build requires its own files at run time; its ESM build bundles cleanly.
  mainFields: ["module", "main"],
  external: ["@cdktf/hcl2json", "@aws-sdk/*", "@smithy/*"],
  // Bundled CommonJS dependencies may call require().
  banner: {
    js: 'import { createRequire as __keygateRequire } from "node:module"; const require = __keygateRequire(import.meta.url);',
  },
  // Whitespace only (names and syntax as written, for readable stack traces): a smaller package, less for Node to read.
  minifyWhitespace: true,
  logLevel: "warning",
  plugins: [yargsOwnPackage()],
});

// tsc writes the bin without the executable bit; npm runs it as a program (npx keygate, the bin link).
chmodSync(join(dist, "bin.js"), 0o755);
