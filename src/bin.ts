#!/usr/bin/env node
// The command line, from its bundle (dist/bundle/, made by `npm run build`): one file to load
// instead of a hundred modules, which halves the start-up time (see scripts/bundle.mjs).
import { askGitEarly } from "./load/git-blobs.js";

const argv = process.argv.slice(2);
// A scan with its cache asks git which files are unchanged (see load/git-blobs.ts): git can answer
// while the CLI loads.
if (!["live", "policies"].includes(argv[0] ?? "") && !argv.some((a) => /^(-h|--help|-v|--version|--no-cache|--no-prefilter|--base|--staged)$/.test(a))) askGitEarly(process.cwd());
const bundle = "./bundle/cli.js";
const { run } = (await import(bundle)) as typeof import("./cli.js");
process.exitCode = await run(argv);
