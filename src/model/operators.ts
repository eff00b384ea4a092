import { OPERATOR_SYMBOLS } from "../load/hcl-syntax.js";
import {
  alternatives,
  attempt,
  bool,
  decideBool,
  deepEqual,
  fail,
  failure,
  isError,
  known,
  lazy,
  MAX_OPTIONS,
  num,
  oneOf,
  textOf,
  unknown,
  type Text,
  type Value,
} from "./values.js";

// Operators, with Terraform's conversions: `!`, `&&`, `||` and conditions take booleans (or the
// strings "true"/"false"), arithmetic and ordering take numbers (or numeric strings), `==` compares
// type and value. Anything else fails, as Terraform does. An undecided operation's text is its
// operator over its operands' texts, so that equal operations compare equal.

const BINARY: Record<string, (a: unknown, b: unknown) => unknown> = {
  equal: (a, b) => deepEqual(a, b),
  notEqual: (a, b) => !deepEqual(a, b),
  logicalAnd: (a, b) => bool(a) && bool(b),
  logicalOr: (a, b) => bool(a) || bool(b),
  lessThan: (a, b) => num(a) < num(b),
  greaterThan: (a, b) => num(a) > num(b),
  lessThanOrEqual: (a, b) => num(a) <= num(b),
  greaterThanOrEqual: (a, b) => num(a) >= num(b),
  add: (a, b) => num(a) + num(b),
  subtract: (a, b) => num(a) - num(b),
  multiply: (a, b) => num(a) * num(b),
  divide: (a, b) => (num(b) === 0 ? fail("divide by zero") : num(a) / num(b)),
  modulo: (a, b) => (num(b) === 0 ? fail("divide by zero") : num(a) % num(b)),
};

/** An undecided operation's text is its operator over its operands' texts, so that equal operations compare equal. */
export function binary(
  operator: string,
  a: Value,
  b: Value,
  source: Text = lazy(() => `(${textOf(a)} ${symbolOf(operator)} ${textOf(b)})`),
): Value {
  const op = BINARY[operator];
  if (!op) return unknown(source());
  // false && x and true || x are decided whatever x is (cty decides them with x unknown too).
  if (operator === "logicalAnd" && (decideBool(a) === false || decideBool(b) === false)) return known(false);
  if (operator === "logicalOr" && (decideBool(a) === true || decideBool(b) === true)) return known(true);
  if (isError(a) || isError(b)) return failure(source());
  // true && x and false || x are x: what is left undecided is x alone (cty gives x's value too).
  if ((operator === "logicalAnd" && decideBool(a) === true) || (operator === "logicalOr" && decideBool(a) === false)) {
    if (b.kind === "unknown") return b;
  }
  if ((operator === "logicalAnd" && decideBool(b) === true) || (operator === "logicalOr" && decideBool(b) === false)) {
    if (a.kind === "unknown") return a;
  }
  const as = alternatives(a);
  const bs = alternatives(b);
  if (
    as.every((x) => x.kind === "known") &&
    bs.every((x) => x.kind === "known") &&
    as.length * bs.length <= MAX_OPTIONS
  ) {
    return oneOf(
      as.flatMap((x) =>
        bs.map((y) => attempt(() => op((x as { value: unknown }).value, (y as { value: unknown }).value), source)),
      ),
    );
  }
  // x == x holds for the very same undecided value.
  if (
    (operator === "equal" || operator === "notEqual") &&
    a.kind === "unknown" &&
    b.kind === "unknown" &&
    a.text === b.text
  )
    return known(operator === "equal");
  return unknown(source());
}

export function unary(
  operator: string,
  operand: Value,
  source: Text = lazy(() => `${symbolOf(operator)}${textOf(operand)}`),
): Value {
  if (operand.kind === "oneOf") return oneOf(operand.options.map((o) => unary(operator, o, source)));
  if (isError(operand)) return failure(source());
  if (operand.kind !== "known") return unknown(source());
  if (operator === "logicalNot") return attempt(() => !bool(operand.value), source);
  if (operator === "negate") return attempt(() => -num(operand.value), source);
  return unknown(source());
}

/** How an operator is written, for the text of an undecided expression (its name when it has no symbol). */
function symbolOf(operator: string): string {
  return (OPERATOR_SYMBOLS as Readonly<Record<string, string | undefined>>)[operator] ?? operator;
}
