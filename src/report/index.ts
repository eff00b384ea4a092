import { compactReporter } from "./compact.js";
import { githubReporter } from "./github.js";
import { gitlabReporter } from "./gitlab.js";
import { jsonReporter } from "./json.js";
import { junitReporter } from "./junit.js";
import { markdownReporter } from "./markdown.js";
import { sarifReporter } from "./sarif.js";
import { textReporter } from "./text.js";
import type { Reporter } from "./types.js";

export type { Reporter, ReportContext } from "./types.js";
export { reportPieces } from "./types.js";

/** Every output format by name; the CLI's `--format` choices come from here. */
export const REPORTERS: ReadonlyMap<string, Reporter> = new Map(
  [
    textReporter,
    compactReporter,
    jsonReporter,
    sarifReporter,
    junitReporter,
    githubReporter,
    gitlabReporter,
    markdownReporter,
  ].map((r) => [r.name, r]),
);

/** The format used when none is asked for. */
export const DEFAULT_FORMAT = "text";
