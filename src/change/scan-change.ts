import { posix, resolve } from "node:path";
import { compareDiagnostics, type InputError, type Warning } from "../findings.js";
import { displayPath } from "../load/discover.js";
import { scan, type ScanRequest, type ScanResult } from "../scan.js";
import { openChangeSet, type ChangeMode, type ChangeSet } from "./change-set.js";
import { focusOf, inFocus, isWithin, type Focus } from "./focus.js";
import { isNewPair, takeInventory, type Inventory } from "./inventory.js";

/** A change-aware scan: the paths, and which change to judge them by. */
export interface ChangeScanRequest extends Pick<ScanRequest, "paths" | "cwd" | "settings" | "policies" | "today" | "prefilter" | "cache" | "onProgress" | "pool"> {
  change: ChangeMode;
}

/**
 * Scans the configuration after a change and keeps only the pairs that are new in it: a key and
 * its user both absent before (under their module-qualified addresses, in the same root module, with
 * `moved` blocks followed). Both sides are scanned whole, so that linking sees every file, changed
 * or not. The result has the shape of a full scan's, so reporting and exit codes work alike.
 * Throws a GitError when git cannot give the two sides.
 */
export async function scanChange(request: ChangeScanRequest): Promise<ScanResult> {
  const change = await openChangeSet(request.cwd, request.change);
  try {
    return await compare(request, change, await focusOf(request.paths, request.cwd, change));
  } finally {
    change.close();
  }
}

async function compare(request: ChangeScanRequest, change: ChangeSet, focus: Focus): Promise<ScanResult> {
  const { cwd, settings } = request;
  const { prefilter, cache, onProgress, pool } = request;
  const base = { cwd, settings, policies: request.policies, today: request.today, ...(prefilter !== undefined ? { prefilter } : {}), ...(cache ? { cache } : {}), ...(onProgress ? { onProgress } : {}), ...(pool ? { pool } : {}) };

  let afterPaths = focus.kind === "directories" ? focus.paths : [change.repository.toplevel];
  if (focus.kind === "files" && (await change.after.discover(afterPaths, cwd, settings.exclude)).files.length === 0) {
    // Only deleted files, and nothing left to check in the repository.
    afterPaths = [];
  }
  const afterInventories: Inventory[] = [];
  const after: ScanResult = afterPaths.length
    ? await scan({ ...base, paths: afterPaths, tree: change.after, observe: async (c, f) => void afterInventories.push(await takeInventory(c, f)) })
    : { findings: [], errors: [], warnings: [], files: 0, policies: request.policies.filter((p) => settings.severities.has(p.id)), configurations: [] };
  const selected = afterInventories.filter((inventory) => inFocus(inventory, focus));

  // The same paths before the change (files: the roots of the configurations in focus), where they existed.
  const beforePaths = (focus.kind === "directories" ? focus.paths.map((p) => resolve(cwd, p)) : outermost(selected.map((i) => i.root))).filter(
    (path) => change.before.kind(path) !== undefined,
  );
  const beforeInventories = new Map<string, Inventory>();
  let beforeWarnings: Warning[] = [];
  if (beforePaths.length && selected.length) {
    const before = await scan({ ...base, paths: beforePaths, tree: change.before, observe: async (c, f) => void beforeInventories.set(c.root.module.dir, await takeInventory(c, f)) });
    // Fail closed: what an unreadable file declared before is unknown, so it counts as new.
    beforeWarnings = before.errors.map((e) => incompleteBefore(e, change.before.label));
  }

  const findings = after.findings.filter((finding) =>
    selected.some((inventory) => inventory.fingerprints.has(finding.fingerprint) && isNewPair(finding, beforeInventories.get(inventory.root), inventory)),
  );
  const focusDirs = new Set(selected.flatMap((i) => [...i.dirs].map((dir) => displayPath(dir, cwd))));
  const warnings = focus.kind === "files" ? after.warnings.filter((w) => focusDirs.has(posix.dirname(w.file))) : after.warnings;
  return {
    ...after,
    findings,
    errors: [...after.errors, ...focus.errors].sort(compareDiagnostics),
    warnings: [...warnings, ...beforeWarnings].sort(compareDiagnostics),
    ...(focus.kind === "files" ? { configurations: [...new Set(selected.map((i) => displayPath(i.root, cwd)))].sort() } : {}),
  };
}

function incompleteBefore(error: InputError, label: string): Warning {
  return {
    file: error.file,
    line: error.line ?? 1,
    column: error.column ?? 1,
    message: `in ${label}: ${error.message} (what it declared there cannot be known, so it counts as new)`,
  };
}

/** The directories not below another one of them (directories are scanned recursively). */
function outermost(dirs: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort();
  return sorted.filter((dir, i) => !sorted.slice(0, i).some((other) => isWithin(dir, other)));
}
