import { describe, expect, it } from "vitest";
import type { ModuleInstance, VariableValue } from "../../src/model/configuration.js";
import { parseHclExpression } from "../../src/load/hcl-parser.js";
import { canonicalText } from "../../src/model/canonical.js";
import { Evaluator, isError, newTrace, type Value } from "../../src/model/expressions.js";
import type { Module, Variable } from "../../src/model/module.js";

/**
 * The static evaluator against Terraform's documented semantics, one table per function or
 * operator. Every expression goes through keygate's own parser, as in a scan. Expected values:
 * - a JSON value: the result is known and equal to it;
 * - ERROR: Terraform fails to evaluate it (so `try` moves on);
 * - UNDECIDED: keygate cannot tell (a variable without a value is involved).
 */
const ERROR = Symbol("error");
const UNDECIDED = Symbol("undecided");
/** A value, ERROR or UNDECIDED. */
type Expected = unknown;

const variables: Variable[] = [
  { name: "flag", hasDefault: true, default: true },
  { name: "obj", hasDefault: true, default: { a: 1, name: "ci" } },
  { name: "nul", hasDefault: true, default: null },
  { name: "u", hasDefault: false, default: undefined },
  { name: "names", hasDefault: true, default: ["b", "a"] },
];

function instanceWith(vars: Variable[] = variables, values: Map<string, VariableValue> = new Map()): ModuleInstance {
  const module: Module = {
    dir: "/virtual",
    files: [],
    resources: [],
    calls: [],
    variables: new Map(vars.map((v) => [v.name, v])),
    locals: new Map(),
    outputs: new Map(),
    moves: [],
  };
  return {
    address: "",
    module,
    call: undefined,
    parent: undefined,
    children: new Map(),
    variableValues: values,
    origin: { kind: "root" },
  };
}

const evaluator = new Evaluator();

async function evaluate(source: string, instance = instanceWith()): Promise<Value> {
  return evaluator.evaluateSource(source, { instance }, newTrace());
}

function check(value: Value, expected: Expected): void {
  if (expected === ERROR) {
    expect(isError(value), `expected an error, got ${JSON.stringify(value)}`).toBe(true);
  } else if (expected === UNDECIDED) {
    expect(value.kind === "known" || isError(value), `expected an undecided value, got ${JSON.stringify(value)}`).toBe(
      false,
    );
  } else expect(value).toEqual({ kind: "known", value: expected });
}

const tables: Record<string, [string, Expected][]> = {
  length: [
    ['length("abc")', 3],
    ['length("👾🕹️")', 2],
    ["length([1, 2])", 2],
    ["length({ a = 1 })", 1],
    ["length(null)", ERROR],
    ["length([var.u, 1])", 2],
  ],
  toset: [
    ['toset(["b", "a", "b"])', ["a", "b"]],
    ["toset([3, 10, 2])", [2, 3, 10]],
    ['toset(["a", 1])', ["1", "a"]],
    ["toset([null])", ERROR],
    ['toset("a")', ERROR],
  ],
  tolist: [
    ['tolist(toset(["b", "a"]))', ["a", "b"]],
    ['tolist(["a", 1])', ["a", "1"]],
  ],
  keys: [
    ["keys({ b = 1, a = 2 })", ["a", "b"]],
    ["keys({ a = var.u })", ["a"]],
    ['keys("x")', ERROR],
  ],
  values: [
    ["values({ b = 1, a = 2 })", [2, 1]],
    ["values([1])", ERROR],
  ],
  lookup: [
    ['lookup({ a = "x" }, "a", "d")', "x"],
    ['lookup({ a = "x" }, "b", "d")', "d"],
    ['lookup({ a = "x" }, "b")', ERROR],
    ['lookup({ a = var.u, b = 1 }, "b", 0)', 1],
    ['lookup(var.u, "b", 0)', UNDECIDED],
  ],
  contains: [
    ['contains(["a", "b"], "b")', true],
    ['contains(["a", "b"], "c")', false],
    ['contains([var.u, "a"], "a")', true],
    ['contains([var.u], "a")', UNDECIDED],
    ['contains("ab", "a")', ERROR],
  ],
  try: [
    ["try(var.obj.a, 2)", 1],
    ['try(var.obj.missing, "fallback")', "fallback"],
    ['try(lookup(var.obj, "zz"), "d")', "d"],
    ['try(var.nul.x, "d")', "d"],
    ['try(var.u.a, "x")', UNDECIDED],
    ["try(var.obj.missing)", ERROR],
  ],
  can: [
    ["can(var.obj.a)", true],
    ["can(var.obj.zz)", false],
    ["can(var.u.a)", UNDECIDED],
  ],
  coalesce: [
    ['coalesce("a", "b")', "a"],
    ['coalesce("", "b")', "b"],
    ['coalesce(null, "", "c")', "c"],
    ["coalesce(1, 2)", 1],
    ['coalesce(1, "hello")', "1"],
    ['coalesce(true, "hello")', "true"],
    ['coalesce("", null)', ERROR],
    ['coalesce(["", "b"]...)', "b"],
    ['coalesce(var.u, "b")', UNDECIDED],
  ],
  format: [
    ['format("Hello, %s!", "Ander")', "Hello, Ander!"],
    ['format("There are %d lights", 4)', "There are 4 lights"],
    ['format("%5.2f|", 3.14159)', " 3.14|"],
    ['format("%-5s|", "ab")', "ab   |"],
    ['format("%5s|", "ab")', "   ab|"],
    ['format("%.1s", "abc")', "a"],
    ['format("%03d", 7)', "007"],
    ['format("%+d", 7)', "+7"],
    ['format("%x %X %o %b", 255, 255, 8, 5)', "ff FF 10 101"],
    ['format("%e", 1234.5678)', "1.234568e+03"],
    ['format("%g", 1234567)', "1.234567e+06"],
    ['format("%g", 0.5)', "0.5"],
    ['format("%v", 1.5)', "1.5"],
    ['format("%v", "s")', "s"],
    ['format("%v", true)', "true"],
    ['format("%v", [1, "a"])', '[1,"a"]'],
    ['format("%v", null)', "null"],
    ['format("%#v", "x")', '"x"'],
    ['format("%#v", { a = 1 })', '{"a":1}'],
    ['format("%q", "a\\"b")', '"a\\"b"'],
    ['format("%t", true)', "true"],
    ['format("%[2]s %[1]s", "a", "b")', "b a"],
    ['format("100%%")', "100%"],
    ['format("%d", 1.5)', ERROR],
    ['format("%s")', ERROR],
    ['format("%s", "a", "b")', ERROR],
    ['format("%s", null)', ERROR],
    ['format("%y", 1)', ERROR],
    ['format("%s-%s", var.u, "x")', UNDECIDED],
  ],
  join: [
    ['join(",", ["a", "b"])', "a,b"],
    ['join("-", ["a"], ["b", "c"])', "a-b-c"],
    ['join(",", [1, true])', "1,true"],
    ['join(",", [])', ""],
    ['join(",", [null])', ERROR],
    ['join(",", [var.u])', UNDECIDED],
  ],
  split: [
    ['split(",", "a,b,c")', ["a", "b", "c"]],
    ['split(",", "")', [""]],
    ['split("", "abc")', ["a", "b", "c"]],
    ['split(",", "a,,b")', ["a", "", "b"]],
  ],
  element: [
    ['element(["a", "b", "c"], 1)', "b"],
    ['element(["a", "b", "c"], 3)', "a"],
    ['element(["a", "b", "c"], -1)', "c"],
    ["element([], 0)", ERROR],
    ['element(["a"], 1.5)', ERROR],
    ['element([var.u, "b"], 1)', "b"],
  ],
  "lower / upper": [
    ['lower("HeLLo")', "hello"],
    ['upper("hello")', "HELLO"],
    ['upper("straße")', "STRAßE"],
    ["lower(1)", "1"],
    ["upper([])", ERROR],
  ],
  "string templates": [
    ['"a-${var.flag}"', "a-true"],
    ['"${1 + 1}x"', "2x"],
    ['"${var.obj.name}-bot"', "ci-bot"],
    ['"${var.nul}x"', ERROR],
    ['"${var.names}x"', ERROR],
    ['"%{ if var.flag }yes%{ else }no%{ endif }"', "yes"],
    ['"%{ for x in ["a", "b"] }${x},%{ endfor }"', "a,b,"],
    ['"$${literal}"', "${literal}"],
    ['"big ${100000000000000000000000}"', "big 100000000000000000000000"],
    ['"${var.u}-x"', UNDECIDED],
  ],
  "! && ||": [
    ["!true", false],
    ['!"true"', false],
    ["!1", ERROR],
    ["!var.u", UNDECIDED],
    ["true && false", false],
    ["true && var.u", UNDECIDED],
    ["false && var.u", false],
    ["var.u && false", false],
    ["true || var.u", true],
    ["false || var.u", UNDECIDED],
    ['"true" && true', true],
    ["1 && true", ERROR],
  ],
  "== !=": [
    ['1 == "1"', false],
    ["1 == 1.0", true],
    ['"a" != "b"', true],
    ["[1, 2] == [1, 2]", true],
    ["{ a = 1 } == { a = 1 }", true],
    ["var.nul == null", true],
    ["var.u == var.u", true],
    ['var.u == "x"', UNDECIDED],
  ],
  "arithmetic and ordering": [
    ["1 + 2 * 3", 7],
    ['"10" > 9', true],
    ["7 % 3", 1],
    ["1 / 0", ERROR],
    ['"a" < "b"', ERROR],
    ["-(1 + 1)", -2],
  ],
  "? :": [
    ["true ? 1 : 0", 1],
    ['"false" ? 1 : 0', 0],
    ["var.flag ? 1 : 0", 1],
    ["null ? 1 : 0", ERROR],
    ["var.u ? 1 : 0", UNDECIDED],
    ["var.u ? 1 : 1", 1],
  ],
  "other functions": [
    ["max([1, 5, 3]...)", 5],
    ["concat([1], [2, 3])", [1, 2, 3]],
    ["merge({ a = 1 }, { a = 2, b = 3 })", { a: 2, b: 3 }],
    ['compact(["a", "", null])', ["a"]],
    ["flatten([[1], [2, [3]]])", [1, 2, 3]],
    ['tobool("true")', true],
    ['tonumber("12")', 12],
    ['tonumber("x")', ERROR],
    ["tostring(12)", "12"],
    ['one(["x"])', "x"],
    ["one([1, 2])", ERROR],
    ['alltrue([true, "true"])', true],
    ["anytrue([false])", false],
    ['startswith("deploy-bot", "deploy")', true],
    ['trimprefix("ci-bot", "ci-")', "bot"],
    ['substr("hello", 1, 3)', "ell"],
    ['zipmap(["a"], [1])', { a: 1 }],
    ["range(3)", [0, 1, 2]],
  ],
};

describe.each(Object.entries(tables))("%s", (_name, cases) => {
  it.each(cases)("%s", async (source, expected) => {
    check(await evaluate(source), expected);
  });
});

describe("conditions and traces", () => {
  it("records a condition it cannot decide, and keeps both branches", async () => {
    const trace = newTrace();
    const value = await evaluator.evaluateSource("var.u ? 1 : 0", { instance: instanceWith() }, trace);
    expect(value).toMatchObject({
      kind: "oneOf",
      options: [
        { kind: "known", value: 1 },
        { kind: "known", value: 0 },
      ],
    });
    expect(trace.undecided).toEqual(["var.u"]);
  });

  it("decides a condition whose every alternative agrees", async () => {
    const trace = newTrace();
    check(await evaluator.evaluateSource('(var.u ? "a" : "b") != "c" ? 1 : 0', { instance: instanceWith() }, trace), 1);
  });
});

describe("variables: types, command-line values, nullable", () => {
  const typed = (type: string, extra: Partial<Variable> = {}): Variable => ({
    name: "v",
    hasDefault: false,
    default: undefined,
    type: `\${${type}}`,
    ...extra,
  });
  const given = (value: unknown, raw = false): Map<string, VariableValue> =>
    new Map([["v", { value, raw, origin: "test" }]]);

  it.each<[string, Variable, Map<string, VariableValue>, Expected]>([
    ["a -var string for a bool is converted", typed("bool"), given("false", true), false],
    ["a -var string for a number is converted", typed("number"), given("3", true), 3],
    ["a -var value for a list is read as HCL", typed("list(string)"), given('["a", "b"]', true), ["a", "b"]],
    [
      "a -var value for an untyped variable stays a string",
      { name: "v", hasDefault: false, default: undefined },
      given("true", true),
      "true",
    ],
    ["a -var value is never a template", typed("string"), given("${var.u}", true), "${var.u}"],
    ["a tfvars string for a bool is converted", typed("bool"), given("true"), true],
    ["a value that does not convert fails", typed("bool"), given("maybe", true), ERROR],
    [
      "optional object attributes get their defaults",
      typed("object({ create = optional(bool, true), name = string })"),
      given({ name: "x" }),
      { create: true, name: "x" },
    ],
    [
      "optional attributes without a default are null",
      typed("object({ create = optional(bool) })"),
      given({}),
      { create: null },
    ],
    ["a missing required attribute fails", typed("object({ name = string })"), given({}), ERROR],
    ["a set is ordered and deduplicated", typed("set(string)"), given(["b", "a", "b"]), ["a", "b"]],
    ["null keeps a nullable variable null", { name: "v", hasDefault: true, default: "d" }, given(null), null],
    [
      "null means the default when nullable = false",
      { name: "v", hasDefault: true, default: "d", nullable: false },
      given(null),
      "d",
    ],
  ])("%s", async (_name, variable, values, expected) => {
    check(await evaluate("var.v", instanceWith([variable], values)), expected);
  });

  it("optional(bool, true) decides a condition through try", async () => {
    const variable = typed("object({ create_key = optional(bool, true) })");
    check(await evaluate("try(var.v.create_key, false) ? 1 : 0", instanceWith([variable], given({}))), 1);
  });
});

describe("structural equality", () => {
  const text = (source: string) => {
    const node = parseHclExpression(source);
    expect(node, source).toBeDefined();
    return canonicalText(node!);
  };

  it.each([
    ['"${element(var.names, count.index)}"', "element(var.names,count.index)"],
    ['format("%s-deployer", var.team)', 'format( "%s-deployer" , var.team )'],
    ["lower(var.a) # why\n", "lower(\n  var.a, # the name\n  /* really */\n)"],
    ["(var.a + 1) * 2", "((var.a) + (1)) * 2"],
    ['var.m["k"]', 'var.m [ "k" ]'],
    ['"caf\u00e9"', '"cafe\u0301"'],
    ['"a-${var.x}"', '"a-${ var.x }"'],
    ["{ a = 1 }", '{ "a" = 1 }'],
  ])("%s is the very same expression as %s", (a, b) => {
    expect(text(a)).toBe(text(b));
  });

  it.each([
    ["element(var.names, count.index)", "element(var.names, 0)"],
    ['format("%s-deployer", var.team)', 'format("%s-deployers", var.team)'],
    ["var.a + 1 * 2", "(var.a + 1) * 2"],
    ["var.a", "local.a"],
    ['"${var.x}"', '"${var.x} "'],
    ["{ (a) = 1 }", "{ a = 1 }"],
  ])("%s differs from %s", (a, b) => {
    expect(text(a)).not.toBe(text(b));
  });

  it("undecided calls spelt differently evaluate to the same value", async () => {
    const a = await evaluate('"${element(var.u, 1)}"');
    const b = await evaluate("element( var.u ,1 )");
    expect(a.kind).toBe("unknown");
    expect(a).toEqual(b);
    expect(await evaluate("element(var.u, 2)")).not.toEqual(a);
  });
});
