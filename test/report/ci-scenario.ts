import { join } from "node:path";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import type { ReportContext } from "../../src/report/index.js";
import { scan, type ScanResult } from "../../src/scan.js";
import { applyBaseline, readBaseline } from "../../src/suppress/baseline.js";
import { TODAY } from "../support/scan-fixture.js";

/**
 * The CI scenario every format is tested on (fixtures/ci-scenario): one finding with a console
 * password, one suppressed inline with `until=`, one whose suppression gives no reason (a note),
 * one baselined, a stale baseline entry, a suppression naming an unknown rule (a warning), a file
 * that does not parse (an input error) and a compliant configuration.
 */
export const SCENARIO = join(import.meta.dirname, "fixtures", "ci-scenario");

/**
 * Where reports pretend to run: fixed absolute paths, so that snapshots hold no temporary or
 * machine paths. Reporters never touch the file system, so the paths need not exist.
 */
export const CONTEXT: ReportContext = { color: false, cwd: "/repo", repoRoot: "/repo" };

/**
 * The scenario's result, as `keygate stacks --baseline keygate-baseline.json` run in its directory
 * gives it. Scanned once (per test worker): reporters only read a result, so every format's tests
 * render the same scan.
 */
export function scanScenario(): Promise<ScanResult> {
  return (scanned ??= scanOnce());
}
let scanned: Promise<ScanResult> | undefined;

/** Scans the scenario from its own directory and applies its baseline. */
async function scanOnce(): Promise<ScanResult> {
  const policies = loadPolicies();
  const settings = await loadSettings(policies, SCENARIO);
  const result = await scan({ paths: ["stacks"], cwd: SCENARIO, settings, policies, today: TODAY });
  const baseline = await readBaseline(join(SCENARIO, "keygate-baseline.json"), "keygate-baseline.json");
  return applyBaseline(result, baseline, (file) => file.startsWith("stacks/"));
}
