#!/usr/bin/env node
// A scan parses HCL: the parser's worker starts first, before the CLI's own modules load.
import { sharedParserPool } from "./load/parse-pool.js";

const argv = process.argv.slice(2);
if (!["live", "policies"].includes(argv[0] ?? "") && !argv.some((a) => /^(-h|--help|-v|--version)$/.test(a))) sharedParserPool();
const { run } = await import("./cli.js");
process.exitCode = await run(argv);
