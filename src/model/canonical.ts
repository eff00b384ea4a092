import { OPERATOR_SYMBOLS, type Expression, type TemplateExpr, type TraversalStep } from "../load/hcl-syntax.js";

/**
 * A canonical text of an expression's syntax tree: the same for two expressions that differ only
 * in spacing, line breaks, comments, redundant parentheses, `"${x}"` versus `x`, or how a string
 * literal is written (escapes, NFC); different whenever an operand differs. It names undecided
 * values, so that "the very same expression" is decided on the tree, not on the text.
 */
export function canonicalText(node: Expression): string {
  switch (node.kind) {
    case "literal":
      return typeof node.value === "string" ? JSON.stringify(node.value) : String(node.value);
    case "wrap":
      return canonicalText(node.wrapped);
    case "parens":
      return canonicalText(node.inner);
    case "template":
      return templateText(node);
    case "templateIf":
      return `"%{if ${canonicalText(node.condition)}}${templateBody(node.then)}%{else}${templateBody(node.else)}%{endif}"`;
    case "templateFor":
      return `"%{for ${node.keyVar === undefined ? "" : `${node.keyVar}, `}${node.valueVar} in ${canonicalText(node.collection)}}${templateBody(node.body)}%{endfor}"`;
    case "traversal":
      return node.root + stepsText(node.steps);
    case "relative":
      return canonicalText(node.source) + stepsText(node.steps);
    case "index":
      return `${canonicalText(node.collection)}[${canonicalText(node.key)}]`;
    case "splat":
      return `${canonicalText(node.source)}[*]${canonicalText(node.each)}`;
    case "anon":
      return "";
    case "call":
      return `${node.name}(${node.args.map(canonicalText).join(", ")}${node.expand ? "..." : ""})`;
    case "conditional":
      return `(${canonicalText(node.condition)} ? ${canonicalText(node.then)} : ${canonicalText(node.else)})`;
    case "binary":
      return `(${canonicalText(node.left)} ${OPERATOR_SYMBOLS[node.operator]} ${canonicalText(node.right)})`;
    case "unary":
      return `${OPERATOR_SYMBOLS[node.operator]}${canonicalText(node.operand)}`;
    case "tuple":
      return `[${node.items.map(canonicalText).join(", ")}]`;
    case "object":
      return `{${node.items.map((item) => `${item.bare && item.key.kind === "traversal" ? JSON.stringify(item.key.root) : canonicalText(item.key)} = ${canonicalText(item.value)}`).join(", ")}}`;
    case "for": {
      const head = `for ${node.keyVar === undefined ? "" : `${node.keyVar}, `}${node.valueVar} in ${canonicalText(node.collection)} : `;
      const body = node.key
        ? `${canonicalText(node.key)} => ${canonicalText(node.value)}${node.group ? "..." : ""}`
        : canonicalText(node.value);
      const condition = node.condition ? ` if ${canonicalText(node.condition)}` : "";
      return node.key ? `{${head}${body}${condition}}` : `[${head}${body}${condition}]`;
    }
  }
}

function stepsText(steps: readonly TraversalStep[]): string {
  let out = "";
  for (const step of steps) out += step.kind === "attr" ? `.${step.name}` : `[${JSON.stringify(step.key)}]`;
  return out;
}

/** A template as a quoted string: literal parts escaped, the rest interpolated. */
function templateText(node: TemplateExpr): string {
  if (node.parts.length === 1 && node.parts[0]!.kind === "literal" && typeof node.parts[0].value === "string")
    return JSON.stringify(node.parts[0].value);
  return `"${templateBody(node)}"`;
}

function templateBody(node: TemplateExpr): string {
  let out = "";
  for (const part of node.parts) {
    if (part.kind === "literal" && typeof part.value === "string")
      out += JSON.stringify(part.value).slice(1, -1).replaceAll("${", "$${").replaceAll("%{", "%%{");
    else if (part.kind === "templateIf" || part.kind === "templateFor") out += canonicalText(part).slice(1, -1);
    else out += `\${${canonicalText(part)}}`;
  }
  return out;
}
