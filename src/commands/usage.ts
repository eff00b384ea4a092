import { accessSync, constants, lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { closest } from "../suggest.js";

/**
 * A command line that cannot be carried out. It is found before any input is read, any output
 * written or any AWS call made, and reported as one line plus a hint; the run exits 2.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** What to do about it: "Did you mean --format?", the valid values, where to read more. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The options a command knows: long names and one-letter aliases, booleans (which also have `--no-NAME`), choices. */
export interface CommandOptions {
  /** `keygate`, `keygate live`, …: how the command is named in messages. */
  command: string;
  names: ReadonlyMap<string, string>;
  booleans: ReadonlySet<string>;
  choices: ReadonlyMap<string, readonly string[]>;
}

/** `--name`, or `-n` for a one-letter alias. */
export function flag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** The help hint of a command. */
export function helpHint(command: string): string {
  return `Run \`${command} --help\` for usage.`;
}

/**
 * Turns a yargs validation message into a usage error in keygate's words: each option named once
 * and as it was typed, a suggestion for a misspelt option or value, the valid values. `others` are
 * the options of the other commands, to say where an option belongs. Messages of keygate's own
 * checks pass through as they are.
 */
export function explainFailure(
  message: string,
  argv: readonly string[],
  options: CommandOptions,
  others: readonly CommandOptions[],
): UsageError {
  const hint = helpHint(options.command);
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message);
  if (unknown) {
    const names = unknown[1]!.split(", ");
    const typed = names.map((name) => asTyped(name, argv));
    const flags = typed.filter((t) => t.startsWith("-"));
    if (flags.length === 0)
      return new UsageError(
        `${options.command} takes no paths, but was given ${typed.map((t) => JSON.stringify(t)).join(", ")}`,
        hint,
      );
    const first = flags[0]!;
    const elsewhere = others.find((o) => knows(o, first));
    const suggestion = closest(first, allFlags(options));
    const tip = elsewhere
      ? `${first} is an option of \`${scanNamed(elsewhere.command)}\`, not of \`${scanNamed(options.command)}\`. ${hint}`
      : suggestion
        ? `Did you mean ${suggestion}? ${hint}`
        : hint;
    const of = options.command === "keygate" ? "" : ` for ${options.command}`;
    return new UsageError(`unknown option${flags.length > 1 ? "s" : ""} ${flags.join(", ")}${of}`, tip);
  }
  const invalid = /Argument: (\S+), Given: "(.*)", Choices: (.+)$/s.exec(message);
  if (invalid) {
    const [, name, given] = invalid as unknown as [string, string, string];
    const valid = options.choices.get(name) ?? invalid[3]!.split(", ").map((c) => JSON.parse(c) as string);
    const suggestion = closest(given, valid);
    return new UsageError(
      `${flag(name)} ${given}: not a valid value`,
      `${suggestion ? `Did you mean ${suggestion}? ` : ""}Valid values: ${valid.join(", ")}.`,
    );
  }
  const missing = /^Not enough arguments following: (\S+)$/.exec(message);
  if (missing) return new UsageError(`${asTyped(missing[1]!, argv)} needs a value`, hint);
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(message);
  if (exclusive)
    return new UsageError(
      `${asTyped(exclusive[1]!, argv)} and ${asTyped(exclusive[2]!, argv)} cannot be used together`,
      hint,
    );
  return new UsageError(message.replace(/\s*\n\s*/g, " "), hint);
}

/** `keygate scan` for the default command, where another command is named beside it. */
function scanNamed(command: string): string {
  return command === "keygate" ? "keygate scan" : command;
}

/** An argument as the user typed it: `--no-cache` for yargs' `cache`, `-x` for `x`, a positional as it is. */
function asTyped(name: string, argv: readonly string[]): string {
  for (const token of argv) {
    if (token === "--") break;
    const bare = token.replace(/=.*$/s, "");
    if (
      bare === `--${name}` ||
      bare === `--no-${name}` ||
      (name.length === 1 && /^-[^-]/.test(bare) && bare.includes(name))
    ) {
      return bare.startsWith("--") ? bare : `-${name}`;
    }
  }
  return argv.includes(name) ? name : flag(name);
}

function allFlags(options: CommandOptions): string[] {
  return [...options.names.keys()]
    .filter((n) => n.length > 1)
    .flatMap((n) => (options.booleans.has(n) ? [`--${n}`, `--no-${n}`] : [`--${n}`]));
}

function knows(options: CommandOptions, typed: string): boolean {
  const name = typed.replace(/^--?/, "");
  return options.names.has(name) || (name.startsWith("no-") && options.booleans.has(name.slice(3)));
}

/**
 * Checks, without creating or writing anything, that a file can be written where an option says:
 * not a directory, and its nearest existing ancestor a writable directory.
 */
export function checkOutputPath(file: string, cwd: string, option: string): void {
  const path = resolve(cwd, file);
  const stat = statOf(path);
  if (stat?.isDirectory())
    throw new UsageError(`${option}: ${file} is a directory`, "Name a file to write the report to.");
  let dir = dirname(path);
  for (;;) {
    const s = statOf(dir);
    if (s) {
      if (!s.isDirectory())
        throw new UsageError(
          `${option}: cannot create ${file}: ${dir} is not a directory`,
          "Name a file in a directory.",
        );
      try {
        accessSync(dir, constants.W_OK);
      } catch {
        throw new UsageError(
          `${option}: cannot write ${file}: ${dir} is not writable`,
          "Name a file in a directory you can write to.",
        );
      }
      return;
    }
    if (dirname(dir) === dir) return;
    dir = dirname(dir);
  }
}

/**
 * Checks that no two outputs (`-o` targets, `--write-baseline`) are the same file under different
 * names: through a symbolic link (even one whose target does not exist yet), `..`, or a hard link.
 * One would overwrite the other.
 */
export function checkDistinctOutputs(outputs: readonly { option: string; file: string }[], cwd: string): void {
  const seen = new Map<string, { option: string; file: string }>();
  for (const output of outputs) {
    const identity = fileIdentity(resolve(cwd, output.file));
    const other = seen.get(identity);
    if (other && other.option !== output.option) {
      const link = [output, other].find((o) => isLink(resolve(cwd, o.file)));
      const through = link ? `: ${link.file} is a symbolic link to ${(link === output ? other : output).file}` : "";
      throw new UsageError(
        `${other.option} and ${output.option} write to the same file${through}`,
        "Name a different file for each output.",
      );
    }
    seen.set(identity, output);
  }
}

/** The file a path will write to: its device and inode when it exists, else its real path, following links that do not resolve yet. */
function fileIdentity(path: string, hops = 0): string {
  const stat = statOf(path);
  if (stat) return `inode:${stat.dev}:${stat.ino}`;
  if (hops < 40 && isLink(path)) return fileIdentity(resolve(dirname(path), readlinkSync(path)), hops + 1);
  const dir = dirname(path);
  if (dir === path) return `path:${path}`;
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch {
    realDir = fileIdentity(dir, hops + 1);
  }
  return `path:${resolve(realDir, basename(path))}`;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
