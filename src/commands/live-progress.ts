/**
 * What `keygate live` tells on stderr while it runs: on a terminal, one line redrawn in place
 * (phase, accounts done / failed / waiting, which accounts wait for their credential report,
 * users); anywhere else (CI), the same line every `intervalMs` (10 s), so a long run is never
 * silent. `--progress none` turns both off. At the end, one summary line with the calls made
 * and how many AWS throttled (on a terminal always; elsewhere when progress was printed or
 * calls were throttled).
 */
import type { LiveAuditStats, LiveProgress } from "../live/index.js";
import { progressLine, type CliIO } from "./io.js";

export type ProgressMode = "auto" | "none";

export const PROGRESS_MODES: readonly ProgressMode[] = ["auto", "none"];

/** Accounts named in the line at most; the rest are counted. */
const NAMED_ACCOUNTS = 3;

export interface LiveProgressDisplay {
  onProgress: (progress: LiveProgress) => void;
  /** Stop, clear the line, and print the summary of a finished audit (if any). */
  finish: (stats?: LiveAuditStats) => void;
}

export function liveProgressDisplay(io: CliIO, mode: ProgressMode, intervalMs = 10_000): LiveProgressDisplay {
  if (mode === "none") return { onProgress: () => {}, finish: () => {} };
  const started = Date.now();
  let latest: LiveProgress | undefined;
  let printed = 0;
  if (io.stderrIsTTY) {
    const line = progressLine(io);
    return {
      onProgress: (p) => {
        latest = p;
        line.draw(describeProgress(p), p.phase === "done");
      },
      finish: (stats) => {
        line.clear();
        if (stats) io.stderr(`${describeSummary(stats)}\n`);
      },
    };
  }
  const timer = setInterval(() => {
    if (!latest) return;
    printed += 1;
    io.stderr(`${describeProgress(latest)} [${formatDuration(Date.now() - started)}]\n`);
  }, intervalMs);
  timer.unref();
  return {
    onProgress: (p) => {
      latest = p;
    },
    finish: (stats) => {
      clearInterval(timer);
      if (stats && (printed > 0 || stats.throttledCalls > 0)) io.stderr(`${describeSummary(stats)}\n`);
    },
  };
}

/** `keygate live: auditing, 37/100 accounts done (1 failed), 4 auditing, 2 waiting for a report (222…, 333…), 12000/40000 users`. */
export function describeProgress(p: LiveProgress): string {
  const parts: string[] = [p.phase];
  const multi = p.accounts > 1;
  if (multi || p.phase === "listing accounts") {
    parts.push(
      `${p.accountsDone}/${p.accounts} accounts done${p.accountsFailed > 0 ? ` (${p.accountsFailed} failed)` : ""}`,
    );
    if (p.accountsAuditing > 0) parts.push(`${p.accountsAuditing} auditing`);
  }
  if (p.waitingForReport.length > 0) {
    const named = p.waitingForReport.slice(0, NAMED_ACCOUNTS).join(", ");
    const more = p.waitingForReport.length > NAMED_ACCOUNTS ? `, +${p.waitingForReport.length - NAMED_ACCOUNTS}` : "";
    parts.push(
      multi
        ? `${p.waitingForReport.length} waiting for a credential report (${named}${more})`
        : "waiting for the credential report",
    );
  }
  if (p.users > 0) parts.push(`${p.usersDone}/${p.users} users audited`);
  if (p.throttledCalls > 0) parts.push(`${p.throttledCalls} calls throttled`);
  return `keygate live: ${parts.join(", ")}`;
}

/** `keygate live: 100 accounts (98 audited, 2 failed), 100000 users, 46000 calls (120 throttled, the rate lowered), 52 s`. */
export function describeSummary(stats: LiveAuditStats): string {
  const audited = stats.accounts.filter((a) => a.status === "audited").length;
  const failed = stats.accounts.filter((a) => a.status === "failed").length;
  const skipped = stats.accounts.filter((a) => a.status === "skipped").length;
  const accounts =
    stats.accounts.length > 1
      ? `${audited + failed} accounts (${audited} audited${failed ? `, ${failed} failed` : ""}${skipped ? `, ${skipped} skipped` : ""}), `
      : failed
        ? "the account failed, "
        : "";
  const throttled =
    stats.throttledCalls > 0
      ? ` (${stats.throttledCalls} throttled, each slowing its account down)`
      : " (none throttled)";
  return `keygate live: ${accounts}${stats.users} users, ${stats.totalApiCalls} calls${throttled}, ${formatDuration(stats.durationMs)}`;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
