import { loadPolicies, type Policy } from "../policies/catalog.js";
import { EXIT, type CliIO } from "./io.js";

/** `keygate policies`: what keygate enforces, as text or JSON. */
export function listPolicies(format: string, io: CliIO): number {
  let policies: Policy[];
  try {
    policies = loadPolicies();
  } catch (error) {
    io.stderr(`keygate: ${(error as Error).message}\n`);
    return EXIT.incomplete;
  }
  if (format === "json") {
    // Each policy's data as written, with its docs link.
    const data = policies.map((p) => p.data);
    io.stdout(`${JSON.stringify(data, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const p of policies) {
    io.stdout(
      `${p.id}  ${p.alias}  (${p.severity})\n  ${p.title}${p.cis.length ? `\n  CIS: ${p.cis.map((c) => `v${c.versions.map((v) => v.replace(/\.0$/, "")).join("/v")} ${c.control}`).join("; ")}` : ""}\n  docs: ${p.docsUrl}\n\n`,
    );
  }
  return EXIT.ok;
}
