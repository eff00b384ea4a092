#!/usr/bin/env node
// The command line, from its bundle (dist/bundle/, made by `npm run build`): one file to load
// instead of a hundred modules, which halves the start-up time (see scripts/bundle.mjs).
import { listWithGitEarly } from "./load/discover.js";
import { askGitEarly } from "./load/git-blobs.js";

const argv = process.argv.slice(2);
// A scan of the working directory asks git for its files (see load/discover.ts) and, with the
// cache, which of them are unchanged (see load/git-blobs.ts): git can answer while the CLI loads.
if (!["live", "policies"].includes(argv[0] ?? "") && !argv.some((a) => /^(-h|--help|-v|--version|--base|--staged)$/.test(a) || a.startsWith("--base="))) {
  const positional = argv.filter((a, i) => !a.startsWith("-") && !/^(-[a-zA-Z]|--[\w-]+)$/.test(argv[i - 1] ?? "") && a !== "scan");
  if (positional.length === 0 || positional.every((p) => p === "." || p === "./")) listWithGitEarly(process.cwd());
  if (!argv.some((a) => /^(--no-cache|--no-prefilter)$/.test(a))) askGitEarly(process.cwd());
}
const bundle = "./bundle/cli.js";
const { run } = (await import(bundle)) as typeof import("./cli.js");
process.exitCode = await run(argv);
