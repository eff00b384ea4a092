import { resolve } from "node:path";
import { configUsed, loadSettings, type FailOn } from "../load/config.js";
import { auditCredentialReport, auditLive } from "../live-audit.js";
import { LiveUsageError, type LiveOptions } from "../live/index.js";
import { missingProfile } from "../live/profiles.js";
import { loadPolicies } from "../policies/catalog.js";
import type { AccountCheckOptions } from "../policies/policy.js";
import type { ScanResult } from "../scan.js";
import type { Baseline } from "../suppress/baseline.js";
import type { CliIO } from "./io.js";
import { liveProgressDisplay, PROGRESS_MODES, type ProgressMode } from "./live-progress.js";
import { deliverReports, readBaselineArg, stoppedBy, type OutputArgs } from "./output.js";
import { withCommandLine, type SettingsArgs } from "./settings.js";

/** `keygate live`, as parsed. */
export interface LiveArgs extends OutputArgs, SettingsArgs {
  config: string | undefined;
  failOn: FailOn | undefined;
  credentialReport: string | undefined;
  profile: string | undefined;
  region: string | undefined;
  endpointUrl: string | undefined;
  windowSeconds: number;
  allUsers: boolean;
  org: boolean;
  accounts: string[];
  roleName: string | undefined;
  externalId: string | undefined;
  concurrency: number | undefined;
  /** `--account-concurrency`, `--max-calls-in-flight`, `--report-timeout` (seconds), `--progress`. */
  accountConcurrency?: number | undefined;
  maxCallsInFlight?: number | undefined;
  reportTimeoutSeconds?: number | undefined;
  progress?: ProgressMode | undefined;
}

/** Audits an AWS account (or organization, or a saved credential report) and delivers the reports; resolves to the exit code. */
export async function runLive(args: LiveArgs, io: CliIO): Promise<number> {
  let baseline: Baseline | undefined;
  let failOn: FailOn;
  let result: ScanResult;
  try {
    baseline = await readBaselineArg(args, io);
    const policies = loadPolicies();
    const settings = withCommandLine(await loadSettings(policies, io.cwd, args.config), policies, args, io.cwd);
    failOn = args.failOn ?? settings.failOn;
    const enabled = policies.filter((p) => settings.severities.has(p.id));
    // The policies that check a live account, at this run's severities; the others have nothing to say about one.
    const auditing = enabled
      .filter((p) => p.checkAccount !== undefined)
      .map((policy) => ({ policy, severity: settings.severities.get(policy.id)! }));
    if (auditing.length === 0) {
      io.stderr(
        enabled.length === 0
          ? "keygate: every policy is switched off in the config: nothing to audit\n"
          : `keygate: no policy that checks a live account is on (on: ${enabled.map((p) => p.id).join(", ")}): nothing to audit\n`,
      );
      result = { findings: [], errors: [], warnings: [], files: 0, policies: enabled };
    } else if (args.credentialReport !== undefined) {
      const stdin = args.credentialReport === "-";
      const options = {
        file: stdin ? "<stdin>" : resolve(io.cwd, args.credentialReport),
        ...(stdin ? { content: await io.readStdin() } : {}),
        cwd: io.cwd,
        ...checkOptions(args),
      };
      // One audit of the report: every policy's check judges each of its users.
      const audit = await auditCredentialReport(options, auditing);
      result = { findings: audit.findings, errors: audit.errors, warnings: [], files: 1, policies: enabled };
    } else {
      // A profile that no shared file declares is said before any AWS call.
      const missing = args.profile !== undefined ? missingProfile(args.profile) : undefined;
      if (missing) throw new LiveUsageError(missing);
      const options = liveOptions(args);
      const mode = args.progress ?? "auto";
      if (!PROGRESS_MODES.includes(mode))
        throw new LiveUsageError(`--progress takes ${PROGRESS_MODES.join(" or ")}, got ${JSON.stringify(mode)}`);
      const progress = liveProgressDisplay(io, mode);
      let audit: Awaited<ReturnType<typeof auditLive>> | undefined;
      try {
        // One audit: every policy's check judges each user and account, and they share its calls.
        audit = await auditLive({ ...options, ...checkOptions(args), onProgress: progress.onProgress }, auditing);
        result = { findings: audit.findings, errors: audit.errors, warnings: [], files: 0, policies: enabled };
      } finally {
        progress.finish(audit?.stats);
      }
    }
    result.config = configUsed(settings, policies);
  } catch (error) {
    return stoppedBy(error, [LiveUsageError], io);
  }
  // A baseline entry of another account or report is out of this run's scope, never stale.
  const audited = new Set(result.findings.map((f) => f.location.file));
  const inScope = (file: string) =>
    audited.has(file) || (args.credentialReport === undefined && file.startsWith("aws://"));
  return deliverReports(result, args, baseline, failOn, inScope, io);
}

function liveOptions(args: LiveArgs): LiveOptions {
  return {
    ...(args.profile !== undefined ? { profile: args.profile } : {}),
    ...(args.region !== undefined ? { region: args.region } : {}),
    ...(args.endpointUrl !== undefined ? { endpointUrl: args.endpointUrl } : {}),
    ...(args.org ? { org: true } : {}),
    ...(args.accounts.length ? { accounts: args.accounts } : {}),
    ...(args.roleName !== undefined ? { roleName: args.roleName } : {}),
    ...(args.externalId !== undefined ? { externalId: args.externalId } : {}),
    ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
    ...(args.accountConcurrency !== undefined ? { accountConcurrency: args.accountConcurrency } : {}),
    ...(args.maxCallsInFlight !== undefined ? { maxCallsInFlight: args.maxCallsInFlight } : {}),
    ...(args.reportTimeoutSeconds !== undefined ? { reportTimeoutMs: args.reportTimeoutSeconds * 1000 } : {}),
  };
}

/** The account checks' own options (KG001's `--window` and `--all-users`). */
function checkOptions(args: LiveArgs): AccountCheckOptions {
  return { windowSeconds: args.windowSeconds, allUsers: args.allUsers };
}
