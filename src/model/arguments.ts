import type { SourceLocation } from "../findings.js";
import type { Attribute, Body, Expression } from "../load/hcl-syntax.js";
import { jsonExpression } from "../load/json-syntax.js";
import type { Span } from "../load/positions.js";
import type { SourceFile } from "../load/sources.js";

/**
 * An argument's expression, as the parser gives it (either syntax), and the text of the file it is
 * written in: its nodes' ranges are offsets into that text (-1 where a node stands for no text).
 */
export interface Argument {
  value: Expression;
  text: string;
}

/** The arguments of a block body, by name (an object: `name in body` tells whether one is set). */
export type Arguments = Record<string, Argument>;

/** An argument made from a JSON value (strings are templates), for models keygate builds itself. */
export function jsonArgument(value: unknown): Argument {
  return { value: jsonExpression(value), text: "" };
}

/** An attribute as an argument of a file; the file's text is read only if asked for (a file known from the cache may be unread). */
export function argument(attribute: Attribute, file: { readonly text: string }): Argument {
  return {
    value: attribute.value,
    get text() {
      return file.text;
    },
  };
}

/** A body's arguments by name. */
export function argumentsOf(body: Body, file: { readonly text: string }): Arguments {
  const out: Arguments = {};
  for (const attribute of body.attributes) {
    // Defined rather than assigned, so that `__proto__` is just a name.
    if (!Object.hasOwn(out, attribute.name))
      Object.defineProperty(out, attribute.name, {
        value: argument(attribute, file),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

/** A report location for an outlined span (the file's first line when the outline missed it). */
export function spanLocation(source: SourceFile, span: Span | undefined): SourceLocation {
  if (!span) return { file: source.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  return {
    file: source.file,
    line: span.start.line,
    column: span.start.column,
    endLine: span.end.line,
    endColumn: span.end.column,
  };
}
