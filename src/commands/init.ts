import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_FILE_NAME, exists } from "../load/config.js";
import { loadPolicies } from "../policies/catalog.js";
import { TOOL } from "../package.js";
import { EXIT, type CliIO } from "./io.js";

const PRE_COMMIT_FILE = ".pre-commit-config.yaml";

/** The commented `.keygate.json` that --init writes: every key, at its default, said what it does. */
function configText(): string {
  const policies = loadPolicies();
  const lines = [
    "// keygate's configuration (https://github.com/keygate-dev/keygate#configuration).",
    "// Comments are allowed; the keys are checked against schemas/config.schema.json.",
    "{",
    `  "$schema": "https://raw.githubusercontent.com/keygate-dev/keygate/v${TOOL.version}/schemas/config.schema.json",`,
    "  // Severity per policy, by id or alias: error, warning, info, or off.",
    '  "policies": {',
    ...policies.map(
      (p, i) => `    "${p.id}": "${p.severity}"${i < policies.length - 1 ? "," : ""} // ${p.alias}: ${p.title}`,
    ),
    "  },",
    '  // Globs, relative to this file\'s directory, of files not to scan (e.g. "legacy/**").',
    '  "exclude": [],',
    "  // The lowest severity that fails the run: error, warning, info, or never.",
    '  "failOn": "error",',
    "  // false: keygate:ignore comments are ignored (and reported).",
    '  "allowInlineSuppressions": true',
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

/** The pre-commit hook, as `.pre-commit-config.yaml` (or the part of it to add to an existing one). */
export function preCommitSnippet(): string {
  return `repos:\n  - repo: https://github.com/keygate-dev/keygate\n    rev: v${TOOL.version}\n    hooks:\n      - id: keygate\n`;
}

/**
 * `keygate --init [--pre-commit]`: writes a commented `.keygate.json` in the working directory (never
 * over an existing one) and, with --pre-commit, a `.pre-commit-config.yaml` running keygate's hook,
 * or, when that file exists, prints the lines to add to it.
 */
export async function init(withPreCommit: boolean, io: CliIO): Promise<number> {
  const config = join(io.cwd, CONFIG_FILE_NAME);
  if (await exists(config)) {
    io.stderr(
      `keygate: ${CONFIG_FILE_NAME} exists already; --init does not overwrite it\n\`keygate --print-config\` shows the configuration in use.\n`,
    );
    return EXIT.incomplete;
  }
  await writeFile(config, configText(), { flag: "wx" });
  io.stderr(`keygate: wrote ${CONFIG_FILE_NAME}\n`);
  if (withPreCommit) {
    const hooks = join(io.cwd, PRE_COMMIT_FILE);
    if (await exists(hooks)) {
      io.stderr(`keygate: ${PRE_COMMIT_FILE} exists; add keygate's hook to it:\n`);
      io.stdout(preCommitSnippet().replace(/^repos:\n/, ""));
    } else {
      await writeFile(
        hooks,
        `# pre-commit (https://pre-commit.com): run \`pre-commit install\` once.\n${preCommitSnippet()}`,
        { flag: "wx" },
      );
      io.stderr(`keygate: wrote ${PRE_COMMIT_FILE}; run \`pre-commit install\` to use it\n`);
    }
  }
  return EXIT.ok;
}
