// The release notes of a version: its section of CHANGELOG.md (Keep a Changelog), printed to stdout
// for `gh release create --notes-file`. Given a tag (v1.2.3), it first checks that the tag is
// package.json's version: the release workflow runs it before anything is published.
//   node scripts/release-notes.mjs v0.1.0
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..");

/** The body of `## [VERSION]` (up to the next `## ` heading), trimmed; undefined when there is none. */
export function changelogSection(changelog, version) {
  const lines = changelog.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`## [${version}]`));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((line) => !/^\[[^\]]+\]: /.test(line)) // link definitions of the whole file
    .join("\n")
    .trim();
  return body || undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tag = process.argv[2];
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (!tag) {
    console.error("usage: node scripts/release-notes.mjs vX.Y.Z");
    process.exit(2);
  }
  if (tag !== `v${version}`) {
    console.error(
      `release-notes: tag ${tag} is not package.json's version (v${version}): bump the version or move the tag`,
    );
    process.exit(1);
  }
  const notes = changelogSection(readFileSync(join(root, "CHANGELOG.md"), "utf8"), version);
  if (!notes) {
    console.error(
      `release-notes: CHANGELOG.md has no section "## [${version}] - YYYY-MM-DD" with entries: move the Unreleased entries there`,
    );
    process.exit(1);
  }
  process.stdout.write(`${notes}\n`);
}
