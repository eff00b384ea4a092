/**
 * keygate's syntax tree for HCL expressions, as hashicorp/hcl's `hclsyntax` models them. The parser
 * (`hcl-parser.ts`) builds it for every expression it reads; the evaluator (`src/model/`) walks it.
 * Every node knows where it is: `start` and `end` are character offsets (UTF-16 code units) into
 * the text it was parsed from, the end just past its last character. Reports count columns in the
 * same unit (LineIndex in positions.ts gives lines and columns); HCL's byte offsets are not kept.
 */
export type Expression =
  | LiteralExpr
  | TemplateExpr
  | TemplateWrapExpr
  | TemplateIfExpr
  | TemplateForExpr
  | ScopeTraversalExpr
  | RelativeTraversalExpr
  | IndexExpr
  | SplatExpr
  | AnonSymbolExpr
  | FunctionCallExpr
  | ConditionalExpr
  | BinaryOpExpr
  | UnaryOpExpr
  | TupleConsExpr
  | ObjectConsExpr
  | ForExpr
  | ParenthesesExpr;

interface Ranged {
  start: number;
  end: number;
}

/**
 * A number, `true`, `false`, `null`, or the literal text of a template part (string literals are
 * decoded and NFC-normalised, as HCL does). `text` is a number's source (for exact printing).
 */
export interface LiteralExpr extends Ranged {
  kind: "literal";
  value: string | number | boolean | null;
  text?: string;
}

/** A quoted string or heredoc with more than a single interpolation: its parts are joined. */
export interface TemplateExpr extends Ranged {
  kind: "template";
  parts: Expression[];
}

/** `"${x}"`: a template that is one interpolation stands for the value of `x`, whatever its type. */
export interface TemplateWrapExpr extends Ranged {
  kind: "wrap";
  wrapped: Expression;
}

/** `%{ if c }…%{ else }…%{ endif }` inside a template. */
export interface TemplateIfExpr extends Ranged {
  kind: "templateIf";
  condition: Expression;
  then: TemplateExpr;
  else: TemplateExpr;
}

/** `%{ for k, v in coll }…%{ endfor }` inside a template. */
export interface TemplateForExpr extends Ranged {
  kind: "templateFor";
  keyVar: string | undefined;
  valueVar: string;
  collection: Expression;
  body: TemplateExpr;
}

/** One static step of a traversal: `.name`, or `[key]` with a literal key (`[0]`, `["k"]`, legacy `.0`). */
export type TraversalStep = { kind: "attr"; name: string } | { kind: "index"; key: string | number | boolean | null };

/** `root.a["b"][0]`: a name followed by static steps only. */
export interface ScopeTraversalExpr extends Ranged {
  kind: "traversal";
  root: string;
  steps: TraversalStep[];
}

/** Static steps after an expression that is not a plain name: `f(x).a[0]`. */
export interface RelativeTraversalExpr extends Ranged {
  kind: "relative";
  source: Expression;
  steps: TraversalStep[];
}

/** `collection[key]` with a key that is not a literal. */
export interface IndexExpr extends Ranged {
  kind: "index";
  collection: Expression;
  key: Expression;
}

/** `source[*].rest` or `source.*.rest`: `each` is evaluated for every element, standing for it as {@link AnonSymbolExpr}. */
export interface SplatExpr extends Ranged {
  kind: "splat";
  source: Expression;
  each: Expression;
}

/** The element a splat's `each` applies to. */
export interface AnonSymbolExpr extends Ranged {
  kind: "anon";
}

/** `name(args…)`, `provider::p::name(…)`; `expand`: the last argument ends in `...`. */
export interface FunctionCallExpr extends Ranged {
  kind: "call";
  name: string;
  args: Expression[];
  expand: boolean;
}

export interface ConditionalExpr extends Ranged {
  kind: "conditional";
  condition: Expression;
  then: Expression;
  else: Expression;
}

/** Operators by hclsyntax's names. */
export type BinaryOperator =
  | "logicalOr"
  | "logicalAnd"
  | "equal"
  | "notEqual"
  | "lessThan"
  | "lessThanOrEqual"
  | "greaterThan"
  | "greaterThanOrEqual"
  | "add"
  | "subtract"
  | "multiply"
  | "divide"
  | "modulo";

/** How each operator is written. */
export const OPERATOR_SYMBOLS: Readonly<Record<BinaryOperator | UnaryOpExpr["operator"], string>> = {
  logicalOr: "||",
  logicalAnd: "&&",
  equal: "==",
  notEqual: "!=",
  lessThan: "<",
  lessThanOrEqual: "<=",
  greaterThan: ">",
  greaterThanOrEqual: ">=",
  add: "+",
  subtract: "-",
  multiply: "*",
  divide: "/",
  modulo: "%",
  negate: "-",
  logicalNot: "!",
};

export interface BinaryOpExpr extends Ranged {
  kind: "binary";
  operator: BinaryOperator;
  left: Expression;
  right: Expression;
}

export interface UnaryOpExpr extends Ranged {
  kind: "unary";
  operator: "negate" | "logicalNot";
  operand: Expression;
}

export interface TupleConsExpr extends Ranged {
  kind: "tuple";
  items: Expression[];
}

/** One `key = value` of an object constructor; a `bare` key (`{ name = 1 }`) is the string it spells. */
export interface ObjectItem {
  key: Expression;
  value: Expression;
  bare: boolean;
}

export interface ObjectConsExpr extends Ranged {
  kind: "object";
  items: ObjectItem[];
}

/** `[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`. */
export interface ForExpr extends Ranged {
  kind: "for";
  keyVar: string | undefined;
  valueVar: string;
  collection: Expression;
  key: Expression | undefined;
  value: Expression;
  condition: Expression | undefined;
  group: boolean;
}

export interface ParenthesesExpr extends Ranged {
  kind: "parens";
  inner: Expression;
}

/** The expression a node stands for once redundant parentheses and `"${…}"` wrapping are looked through. */
export function unwrap(node: Expression): Expression {
  let current = node;
  while (current.kind === "parens" || current.kind === "wrap")
    current = current.kind === "parens" ? current.inner : current.wrapped;
  return current;
}

/** `name = value` in a body; `start` is the name's, `end` the value's. */
export interface Attribute extends Ranged {
  name: string;
  value: Expression;
}

/** `type "label" … { body }`; `headerEnd` is just past its `{`, `end` just past its `}`. */
export interface Block extends Ranged {
  type: string;
  labels: string[];
  headerEnd: number;
  body: Body;
}

/**
 * A body: a file, or the inside of a block. Attributes and blocks each in source order. A file in
 * Terraform's JSON syntax gives the same nodes (see json-syntax.ts): its top-level block types are
 * blocks, and the properties inside them attributes, whose strings are templates.
 */
export interface Body {
  attributes: Attribute[];
  blocks: Block[];
}

/** The direct sub-expressions of a node, in source order. */
export function childrenOf(node: Expression): Expression[] {
  switch (node.kind) {
    case "literal":
    case "traversal":
    case "anon":
      return [];
    case "template":
      return node.parts;
    case "wrap":
      return [node.wrapped];
    case "templateIf":
    case "conditional":
      return [node.condition, node.then, node.else];
    case "templateFor":
      return [node.collection, node.body];
    case "relative":
      return [node.source];
    case "index":
      return [node.collection, node.key];
    case "splat":
      return [node.source, node.each];
    case "call":
      return node.args;
    case "binary":
      return [node.left, node.right];
    case "unary":
      return [node.operand];
    case "tuple":
      return node.items;
    case "object":
      return node.items.flatMap((item) => [item.key, item.value]);
    case "for":
      return [
        node.collection,
        ...(node.key ? [node.key] : []),
        node.value,
        ...(node.condition ? [node.condition] : []),
      ];
    case "parens":
      return [node.inner];
  }
}

/** The string a node spells when it is a plain string literal (`"x"`, with no interpolation); undefined otherwise. */
export function stringLiteral(node: Expression): string | undefined {
  const inner = unwrap(node);
  if (inner.kind === "literal") return typeof inner.value === "string" ? inner.value : undefined;
  if (inner.kind !== "template" || inner.parts.length !== 1) return undefined;
  const part = inner.parts[0]!;
  return part.kind === "literal" && typeof part.value === "string" ? part.value : undefined;
}
