#!/usr/bin/env node
// The pre-commit hook (.pre-commit-hooks.yaml, `language: script`): keygate's command line from the
// self-contained bundle committed beside it (action/dist/index.mjs, `npm run build:action`), run
// by the `node` on PATH. Installing the hook is a clone: nothing is compiled or installed.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `keygate: the pre-commit hook needs Node.js 20.19 or newer as \`node\` on PATH; found ${process.version} (${process.execPath}).\n`,
  );
  process.exit(2);
}
const { cli } = await import("./dist/index.mjs");
process.exitCode = await cli(process.argv.slice(2));
