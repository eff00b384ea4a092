/**
 * Module source addresses as Terraform reads them (`source` of a module call): local paths,
 * registry addresses (`[HOST/]NAMESPACE/NAME/PROVIDER[//SUBDIR]`) and git repositories (`git::…`,
 * `github.com/…`, `git@host:…`), reduced to what identifies the code they point at.
 */

/** Where a module call's code comes from. */
export type ModuleAddress =
  | { kind: "local"; path: string }
  | { kind: "registry"; host: string; namespace: string; name: string; provider: string; subdir: string }
  | { kind: "git"; repository: string; subdir: string; ref: string | undefined }
  | { kind: "other"; source: string };

/** The public registries whose module addresses name the same modules (OpenTofu's mirrors Terraform's). */
export const PUBLIC_REGISTRIES = new Set(["registry.terraform.io", "registry.opentofu.org"]);

const NAME = /^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$/;

/** Parses a module source address. */
export function parseModuleSource(source: string): ModuleAddress {
  const text = source.trim();
  if (text.startsWith("./") || text.startsWith("../") || text === "." || text === "..")
    return { kind: "local", path: text };
  const git = parseGitSource(text);
  if (git) return git;
  if (!text.includes("::") && !text.includes("?")) {
    const [path, subdir] = splitSubdir(text);
    const parts = path.split("/");
    const host =
      parts.length === 4 ? parts[0]!.toLowerCase() : parts.length === 3 ? "registry.terraform.io" : undefined;
    const [namespace, name, provider] = parts.slice(-3);
    // github.com/x/y and bitbucket.org/x/y are repositories, never registries.
    if (
      host &&
      !["github.com", "bitbucket.org"].includes(host) &&
      [namespace, name, provider].every((p) => p !== undefined && NAME.test(p))
    ) {
      return {
        kind: "registry",
        host,
        namespace: namespace!.toLowerCase(),
        name: name!.toLowerCase(),
        provider: provider!.toLowerCase(),
        subdir,
      };
    }
  }
  return { kind: "other", source: text };
}

/** `git::https://host/path.git//sub?ref=x`, `git::ssh://git@host/path`, `git@host:path`, `github.com/owner/repo`. */
function parseGitSource(text: string): ModuleAddress | undefined {
  let rest: string;
  if (text.startsWith("git::")) rest = text.slice("git::".length);
  else if (/^(github\.com|bitbucket\.org)\//i.test(text) || /^git@[^:]+:/.test(text)) rest = text;
  else return undefined;
  const query = rest.indexOf("?");
  const params = new URLSearchParams(query === -1 ? "" : rest.slice(query + 1));
  if (query !== -1) rest = rest.slice(0, query);
  // The `//` that separates a subdirectory is the one after the scheme's.
  const schemeEnd = rest.indexOf("://");
  const searchFrom = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const subdirAt = rest.indexOf("//", searchFrom);
  const subdir = subdirAt === -1 ? "" : normaliseSubdir(rest.slice(subdirAt + 2));
  if (subdirAt !== -1) rest = rest.slice(0, subdirAt);
  rest = rest
    .replace(/^[a-z+]+:\/\//i, "")
    .replace(/^[^@/]+@/, "")
    .replace(/^([^/:]+):(?!\d)/, "$1/")
    .replace(/\.git$/, "")
    .replace(/\/+$/, "");
  const slash = rest.indexOf("/");
  const repository = slash === -1 ? rest.toLowerCase() : `${rest.slice(0, slash).toLowerCase()}${rest.slice(slash)}`;
  return { kind: "git", repository, subdir, ref: params.get("ref") ?? undefined };
}

function splitSubdir(text: string): [string, string] {
  const at = text.indexOf("//");
  return at === -1 ? [text, ""] : [text.slice(0, at), normaliseSubdir(text.slice(at + 2))];
}

function normaliseSubdir(subdir: string): string {
  return subdir.replace(/^\.?\/+/, "").replace(/\/+$/, "");
}

/** A canonical text for a source, so that a call and a `.terraform/modules/modules.json` entry can be compared. */
export function canonicalSource(source: string): string {
  const address = parseModuleSource(source);
  switch (address.kind) {
    case "local":
      return address.path.replace(/\/+$/, "");
    case "registry": {
      const host = PUBLIC_REGISTRIES.has(address.host) ? "registry" : address.host;
      return `${host}/${address.namespace}/${address.name}/${address.provider}${address.subdir ? `//${address.subdir}` : ""}`;
    }
    case "git":
      return `git:${address.repository.toLowerCase()}${address.subdir ? `//${address.subdir}` : ""}${address.ref ? `?ref=${address.ref}` : ""}`;
    case "other":
      return address.source;
  }
}
