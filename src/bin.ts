#!/usr/bin/env node
// The command line, from its bundle (dist/bundle/, made by `npm run build`): one file to load
// instead of a hundred modules, which halves the start-up time (see scripts/bundle.mjs).
import { startEarlyWork } from "./early.js";

const argv = process.argv.slice(2);
startEarlyWork(argv, process.cwd());
const bundle = "./bundle/cli.js";
const { run, finalExitCode } = (await import(bundle)) as typeof import("./cli.js");
process.exitCode = finalExitCode(await run(argv));
