import { bool, fail, integer, list, num, numberToString, str } from "../values.js";
import type { Fn } from "./fn.js";

/** String functions (`join`, `format`, `replace`, …). Each takes known arguments and returns Terraform's result or fails as Terraform does. */
export const STRINGS: Record<string, Fn> = {
  join: ([sep, ...lists]) => {
    if (lists.length === 0) fail("join needs at least one list");
    return lists
      .flatMap(list)
      .map((v) => (v === null ? fail("join of a null element") : str(v)))
      .join(str(sep));
  },
  split: ([sep, s]) => {
    const [separator, text] = [str(sep), str(s)];
    // An empty separator splits into characters (Unicode code points, as Go's strings.Split does).
    return separator === "" ? codePoints(text) : text.split(separator);
  },
  lower: ([s]) => mapCase(str(s), (c) => c.toLowerCase()),
  upper: ([s]) => mapCase(str(s), (c) => c.toUpperCase()),
  title: ([s]) =>
    str(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase()),
  trimspace: ([s]) => str(s).trim(),
  trimprefix: ([s, p]) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimsuffix: ([s, p]) => (str(p) !== "" && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  startswith: ([s, p]) => str(s).startsWith(str(p)),
  endswith: ([s, p]) => str(s).endsWith(str(p)),
  replace: ([s, a, b]) =>
    str(a).startsWith("/") && str(a).endsWith("/") && str(a).length > 1 ? undefined : str(s).split(str(a)).join(str(b)),
  substr: ([s, o, l]) => {
    const chars = graphemesOf(str(s));
    let offset = integer(o);
    if (offset < 0) offset += chars.length;
    const length = integer(l);
    return chars.slice(Math.max(offset, 0), length < 0 ? undefined : Math.max(offset, 0) + length).join("");
  },
  format: ([f, ...args]) => formatString(str(f), args),
  jsonencode: ([x]) => JSON.stringify(x),
};

/** A string's Unicode code points, as Go ranges over a string (Terraform's functions are written in Go). */
function codePoints(text: string): string[] {
  return Array.from(text);
}

let segmenter: Intl.Segmenter | undefined;

/** A string's grapheme clusters, as Terraform's length and substr count them (the segmenter, costly to make, is made on first use). */
export function graphemesOf(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(segmenter.segment(text), (g) => g.segment);
}

/** Case mapping character by character, as Go's strings.ToUpper/ToLower: "ß" stays "ß" rather than becoming "SS". */
function mapCase(text: string, convert: (c: string) => string): string {
  return codePoints(text)
    .map((c) => {
      const mapped = convert(c);
      return codePoints(mapped).length === 1 ? mapped : c;
    })
    .join("");
}

/**
 * Terraform's `format`: verbs %v %#v %s %q %t %d %b %o %x %X %e %E %f %g %G and %%, flags
 * (space, +, -, 0), width, precision and explicit argument indexes (`%[2]s`). Too few or too
 * many arguments, an unknown verb or an impossible conversion fail.
 */
function formatString(spec: string, args: unknown[]): string {
  let out = "";
  let next = 0;
  let used = 0;
  let i = 0;
  while (i < spec.length) {
    const c = spec[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    if (spec[i + 1] === "%") {
      out += "%";
      i += 2;
      continue;
    }
    const match = /^%([-+ 0#]*)(\d+)?(?:\.(\d*))?(?:\[(\d+)\])?([a-zA-Z])/.exec(spec.slice(i));
    if (!match) fail(`invalid format verb at offset ${i}`);
    const [whole, flags, width, precision, explicit, verb] = match as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
      string | undefined,
      string,
    ];
    if (explicit !== undefined) next = Number(explicit) - 1;
    if (next < 0 || next >= args.length) fail("not enough arguments for the format string");
    out += formatOne(
      verb,
      flags,
      width === undefined ? undefined : Number(width),
      precision === undefined ? undefined : Number(precision || 0),
      args[next],
    );
    used = Math.max(used, ++next);
    i += whole.length;
  }
  if (used < args.length) fail(`too many arguments; only ${used} used by the format string`);
  return out;
}

function formatOne(
  verb: string,
  flags: string,
  width: number | undefined,
  precision: number | undefined,
  arg: unknown,
): string {
  const pad = (text: string, numeric: boolean) => {
    if (!width || codePoints(text).length >= width) return text;
    const fill = width - codePoints(text).length;
    if (flags.includes("-")) return text + " ".repeat(fill);
    if (numeric && flags.includes("0")) {
      const sign = /^[-+ ]/.test(text) ? text[0]! : "";
      return sign + "0".repeat(fill) + text.slice(sign.length);
    }
    return " ".repeat(fill) + text;
  };
  const signed = (n: number, body: string) =>
    n < 0 || Object.is(n, -0) ? `-${body}` : flags.includes("+") ? `+${body}` : flags.includes(" ") ? ` ${body}` : body;
  if (verb === "v") {
    if (flags.includes("#") || arg === null || typeof arg === "object") return pad(JSON.stringify(arg), false);
    if (typeof arg === "number") return formatOne("g", flags, width, precision, arg);
    if (typeof arg === "boolean") return formatOne("t", flags, width, precision, arg);
    return formatOne("s", flags, width, precision, arg);
  }
  if (arg === null) fail(`unsupported value for "%${verb}": null`);
  switch (verb) {
    case "s": {
      const s = str(arg);
      return pad(precision ? codePoints(s).slice(0, precision).join("") : s, false);
    }
    case "q":
      return pad(JSON.stringify(str(arg)), false);
    case "t":
      return pad(String(bool(arg)), false);
    case "d":
    case "b":
    case "o":
    case "x":
    case "X": {
      const n = integer(arg);
      const digits = Math.abs(n).toString({ d: 10, b: 2, o: 8, x: 16, X: 16 }[verb]);
      return pad(signed(n, verb === "X" ? digits.toUpperCase() : digits), true);
    }
    case "e":
    case "E": {
      const n = num(arg);
      const text = exponent(Math.abs(n).toExponential(precision ?? 6));
      return pad(signed(n, verb === "E" ? text.toUpperCase() : text), true);
    }
    case "f":
    case "F": {
      const n = num(arg);
      return pad(signed(n, Math.abs(n).toFixed(precision ?? 6)), true);
    }
    case "g":
    case "G": {
      const n = num(arg);
      const text = shortestG(Math.abs(n), precision);
      return pad(signed(n, verb === "G" ? text.toUpperCase() : text), true);
    }
    default:
      return fail(`unsupported format verb "%${verb}"`);
  }
}

/** Go writes exponents with at least two digits: 1e+06, not 1e+6. */
function exponent(text: string): string {
  return text.replace(/e([-+])(\d)$/, "e$10$2");
}

/** Go's %g: %e when the exponent is below -4 or at least the precision (6 for the shortest form), else %f; no trailing zeros. */
function shortestG(n: number, precision: number | undefined): string {
  if (n === 0) return "0";
  const digits = precision ? Number(n.toPrecision(precision)) : n;
  const [mantissa, exp] = digits.toExponential().split("e") as [string, string];
  const x = Number(exp);
  const significant = mantissa.replace(".", "").replace(/0+$/, "").length;
  let limit = precision ?? 6;
  if (precision && limit > significant && significant >= x + 1) limit = significant;
  if (x < -4 || x >= limit) return exponent(`${mantissa}e${x < 0 ? "-" : "+"}${Math.abs(x)}`);
  return numberToString(digits);
}
