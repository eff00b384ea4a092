/**
 * The named profiles of the AWS shared config and credentials files, so that `--profile NAME` that
 * names none of them is said before any AWS call (the SDK's default chain would only say that it
 * "could not load credentials from any providers").
 *
 * Only section headers are read, as the AWS CLI and SDKs name them: in the config file `[default]`
 * and `[profile NAME]` (not `[sso-session …]` or `[services …]`), in the credentials file `[NAME]`.
 * The SDK's own loader (`loadSharedConfigFiles` in @smithy/core) is internal API; reading headers
 * is all this needs.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The shared files as the SDK finds them: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/. */
export function sharedFiles(env: NodeJS.ProcessEnv = process.env): { config: string; credentials: string } {
  const home = env.HOME || homedir();
  return {
    config: env.AWS_CONFIG_FILE || join(home, ".aws", "config"),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"),
  };
}

/** The profile names a shared file declares, in file order; undefined when the file cannot be read. */
export function profilesIn(text: string, kind: "config" | "credentials"): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line)?.[1]?.trim();
    if (header === undefined) continue;
    if (kind === "credentials") names.push(header);
    else if (header === "default") names.push(header);
    else {
      const named = /^profile\s+(.+)$/.exec(header)?.[1]?.trim();
      if (named) names.push(named);
    }
  }
  return names;
}

/**
 * Why `profile` cannot be used, or undefined when a shared file declares it. Says which files were
 * looked at and which profiles they declare.
 */
export function missingProfile(profile: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const files = sharedFiles(env);
  const found: string[] = [];
  const read: string[] = [];
  for (const kind of ["config", "credentials"] as const) {
    let text: string;
    try {
      text = readFileSync(files[kind], "utf8");
    } catch {
      continue;
    }
    read.push(files[kind]);
    found.push(...profilesIn(text, kind));
  }
  if (found.includes(profile)) return undefined;
  const home = env.HOME || homedir();
  const shown = (path: string) => (path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path);
  const where = `${shown(files.config)} or ${shown(files.credentials)}`;
  const create = `create it with \`aws configure --profile ${profile}\` (or \`aws configure sso --profile ${profile}\`)`;
  if (read.length === 0)
    return `--profile ${profile}: the profile does not exist: there is no ${where}, so no profile does; ${create}`;
  const names = [...new Set(found)];
  const listed = names.length ? `profiles there: ${names.join(", ")}` : "they declare no profile";
  return `--profile ${profile}: the profile does not exist in ${where} (${listed}). Name one of them, or ${create}`;
}
