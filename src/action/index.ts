import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import { run } from "../cli.js";
import { startEarlyWork } from "../early.js";
import { publishedKeygate, runAction, type RunKeygate } from "./main.js";
import { escapeData } from "./runner.js";

// The bundle is its own parse worker: in a worker thread, it answers the pool's jobs. Only there:
// the worker's module loads hcl2json, whose WebAssembly takes most of a second to set up.
if (!isMainThread) await import("../load/parse-worker.js");

/**
 * The entry of the self-contained bundle (action/dist/index.mjs, `npm run build:action`), which
 * needs no node_modules: the GitHub Action runs it (`runs.main`), the pre-commit hook imports it
 * for {@link cli}, and the parse pool starts it as its worker.
 */

/** keygate's command line in this process, as the bin runs it; resolves to the exit code. */
export async function cli(argv: readonly string[]): Promise<number> {
  if (argv[0] === "live") {
    // The AWS SDK is left out of the bundle (scripts/build-action.mjs).
    process.stderr.write(
      "keygate: `keygate live` is not part of the GitHub Action or the pre-commit hook; install keygate from npm to audit AWS accounts.\n",
    );
    return 2;
  }
  return run(argv, undefined, startEarlyWork(argv, process.cwd()));
}

const inProcess: RunKeygate = (args, cwd) => {
  process.chdir(cwd);
  return cli(args);
};

/** Runs the Action when the bundle is the process's main module (not when imported or a worker). */
export async function start(moduleUrl: string): Promise<void> {
  if (!isMainThread || !process.argv[1] || realpathSync(process.argv[1]) !== realpathSync(fileURLToPath(moduleUrl)))
    return;
  const version = (process.env["INPUT_KEYGATE-VERSION"] ?? "").trim();
  try {
    process.exitCode = await runAction(process.env, version ? publishedKeygate(version, process.env) : inProcess);
  } catch (error) {
    // Fail closed, in one line the run's log shows as an error (say, npm could not install keygate-version).
    process.stdout.write(`::error::${escapeData(`keygate: ${(error as Error).message}`)}\n`);
    process.exitCode = 2;
  }
}
