/**
 * Terraform's module version constraints (`~> 5.0`, `>= 4.0, < 6.0`, `= 5.39.0`), as far as
 * keygate needs them: which catalog entries a constraint may select. Semantics follow
 * hashicorp/go-version, which Terraform uses for module versions: `~> 1.2` allows `>= 1.2.0, < 2.0.0`,
 * `~> 1.2.3` allows `>= 1.2.3, < 1.3.0`, and `~> 1` (one segment) allows `>= 1.0.0` with no upper
 * bound. Pre-release suffixes are ignored (`6.0.0-beta1` counts as `6.0.0`).
 */

/** major, minor, patch. */
export type Version = readonly [number, number, number];

interface Bound {
  version: Version;
  inclusive: boolean;
}

/** The versions a constraint allows: one interval (a conjunction of comparisons), plus versions excluded with `!=`. */
export interface VersionRange {
  lower?: Bound;
  upper?: Bound;
  excluded: Version[];
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses `1`, `1.2`, `1.2.3`, `v1.2.3-beta` (missing parts are 0); with the number of segments written. */
export function parseVersion(text: string): { version: Version; segments: number } | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  const parts = [match[1], match[2], match[3]];
  return {
    version: [Number(parts[0]), Number(parts[1] ?? 0), Number(parts[2] ?? 0)],
    segments: parts.filter((p) => p !== undefined).length,
  };
}

/** Compares two versions: negative, zero or positive. */
export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Parses a constraint string; undefined when any part of it is not a valid constraint. */
export function parseConstraint(text: string): VersionRange | undefined {
  const range: VersionRange = { excluded: [] };
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === "")) return undefined;
  for (const part of parts) {
    const match = /^(~>|>=|<=|!=|=|>|<)?\s*(.+)$/.exec(part);
    if (!match) return undefined;
    const op = match[1] ?? "=";
    const parsed = parseVersion(match[2]!);
    if (!parsed) return undefined;
    const { version, segments } = parsed;
    switch (op) {
      case "=":
        tighten(range, { version, inclusive: true }, { version, inclusive: true });
        break;
      case "!=":
        range.excluded.push(version);
        break;
      case ">":
        tighten(range, { version, inclusive: false }, undefined);
        break;
      case ">=":
        tighten(range, { version, inclusive: true }, undefined);
        break;
      case "<":
        tighten(range, undefined, { version, inclusive: false });
        break;
      case "<=":
        tighten(range, undefined, { version, inclusive: true });
        break;
      case "~>": {
        // The last written segment may grow; the ones before it are fixed.
        const upper: Version | undefined =
          segments >= 3 ? [version[0], version[1] + 1, 0] : segments === 2 ? [version[0] + 1, 0, 0] : undefined;
        tighten(range, { version, inclusive: true }, upper ? { version: upper, inclusive: false } : undefined);
        break;
      }
    }
  }
  return range;
}

function tighten(range: VersionRange, lower: Bound | undefined, upper: Bound | undefined): void {
  if (
    lower &&
    (!range.lower ||
      compareVersions(lower.version, range.lower.version) > 0 ||
      (compareVersions(lower.version, range.lower.version) === 0 && !lower.inclusive))
  )
    range.lower = lower;
  if (
    upper &&
    (!range.upper ||
      compareVersions(upper.version, range.upper.version) < 0 ||
      (compareVersions(upper.version, range.upper.version) === 0 && !upper.inclusive))
  )
    range.upper = upper;
}

/** Whether a version is allowed by a range. */
export function satisfies(version: Version, range: VersionRange): boolean {
  if (range.excluded.some((e) => compareVersions(e, version) === 0)) return false;
  if (range.lower) {
    const c = compareVersions(version, range.lower.version);
    if (c < 0 || (c === 0 && !range.lower.inclusive)) return false;
  }
  if (range.upper) {
    const c = compareVersions(version, range.upper.version);
    if (c > 0 || (c === 0 && !range.upper.inclusive)) return false;
  }
  return true;
}

/** Whether some version is allowed by both ranges. */
export function rangesOverlap(a: VersionRange, b: VersionRange): boolean {
  const both: VersionRange = { excluded: [...a.excluded, ...b.excluded] };
  tighten(both, a.lower, a.upper);
  tighten(both, b.lower, b.upper);
  const { lower, upper } = both;
  if (!lower || !upper) return true;
  const c = compareVersions(lower.version, upper.version);
  if (c > 0) return false;
  if (c === 0)
    return lower.inclusive && upper.inclusive && !both.excluded.some((e) => compareVersions(e, lower.version) === 0);
  return true;
}

/** `1.2.3`. */
export function formatVersion(version: Version): string {
  return version.join(".");
}
