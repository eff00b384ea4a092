#!/usr/bin/env node
// The command line, from its bundle (dist/bundle/, made by `npm run build`): one file to load
// instead of a hundred modules, which halves the start-up time (see scripts/bundle.mjs).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  // What yargs prints, without loading the CLI (nearly all of `--version`'s time).
  const { TOOL } = await import("./package.js");
  process.stdout.write(`${TOOL.version}\n`);
} else {
  // The bin's own file (see scripts/bundle.mjs): git asked, and the command line read, while Node
  // then compiles the CLI.
  const earlyFile = "./bundle/early.js";
  const early = ((await import(earlyFile)) as typeof import("./early.js")).startEarlyWork(argv, process.cwd());
  const bundle = "./bundle/cli.js";
  const { run, finalExitCode } = (await import(bundle)) as typeof import("./cli.js");
  process.exitCode = finalExitCode(await run(argv, undefined, early));
}
