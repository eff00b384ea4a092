/**
 * Module calls keygate cannot follow: a registry or git module that `terraform init` has not
 * downloaded and the module catalog does not describe. What it creates is unknown, so the
 * configuration is not fully checked; the run says so instead of passing silently.
 */
import type { Warning } from "../findings.js";
import { isLocalSource, type Configuration } from "./configuration.js";
import type { Evaluator } from "./expressions.js";
import { blockExistence, moduleExistence } from "./links.js";

/** One warning per call that is not followed (and not switched off by a decided `count = 0` / empty `for_each`). */
export async function unfollowedCallWarnings(
  configuration: Configuration,
  rootShown: string,
  evaluator: Evaluator,
): Promise<Warning[]> {
  const warnings: Warning[] = [];
  for (const instance of configuration.instances) {
    // Inside a catalogued module, the catalog already stands for everything the module does.
    if (instance.origin.kind === "catalog") continue;
    for (const call of instance.module.calls) {
      if (instance.children.has(call.name) || isLocalSource(call.source)) continue;
      if ((await moduleExistence(instance, evaluator)) === "absent") continue;
      if ((await blockExistence(call.count, call.forEach, instance, evaluator)) === "absent") continue;
      const address = [instance.address, `module.${call.name}`].filter(Boolean).join(".");
      const source =
        call.source === undefined
          ? "a source that is not a literal string"
          : `"${call.source}"${call.version ? ` ${call.version}` : ""}`;
      warnings.push({
        file: call.location.file,
        line: call.location.line,
        column: call.location.column,
        message: `module call ${address} (${source}) was not checked: it is not downloaded and the module catalog does not describe it, so what it creates is unknown. Run \`terraform init\` (or \`tofu init\`) in ${rootShown} so that .terraform/modules holds it, or propose a module catalog entry (policies/modules.json)`,
      });
    }
  }
  return warnings;
}
