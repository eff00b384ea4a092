import { parse } from "@cdktf/hcl2json";
import { describe, expect, it } from "vitest";
import { outlineHcl, outlineTfJson, type FileOutline, type Span } from "../../src/load/outline.js";

/** `"2:1-8:2"` -> a Span, so that expected positions read like an editor's status bar. */
function at(range: string): Span {
  const [start, end] = range.split("-").map((p) => {
    const [line, column] = p.split(":").map(Number);
    return { line: line!, column: column! };
  });
  return { start: start!, end: end! };
}

// The pair KG001 is about, written the way people write it.
const PAIR = `# keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142
resource "aws_iam_user" "deploy" { # the CI user
  name = "deploy"
  path = "/ci/"
  tags = {
    Team = "platform" // owning team
  }
}

/* Keys are rotated by the vault plugin;
   see runbook ROT-7. */
resource "aws_iam_access_key" "deploy" {
  user    = aws_iam_user.deploy.name
  pgp_key = <<-EOF
    keybase:deploy } # not a comment
    EOF

  lifecycle {
    ignore_changes = [user] # keep
  }
}
`;

// Braces, quotes and comment markers inside templates; none of them may leak out.
const TEMPLATES = `locals {
  brace    = "\${ "{" } literal # not a comment"
  greeting = "Hello, \${var.team == "ops" ? "}" : "{"}! // still a string"
  banner   = <<EOT
%{ if var.admin }Admin // nope%{ else }User /* nope */%{ endif }
}
EOT
  escaped = "$\${not_interpolated} %%{not_a_directive"
  tags    = { for k, v in var.tags : k => "\${v} # v" if v != "" }
}
# after
`;

const DYNAMIC = `data "aws_iam_policy_document" "deploy" {
  dynamic "statement" {
    for_each = var.statements
    content {
      effect  = statement.value.effect
      actions = statement.value.actions
      dynamic "condition" {
        for_each = statement.value.conditions
        content { test = condition.value.test }
      }
    }
  }
  source_policy_documents = concat(
    [data.aws_iam_policy_document.base.json],
    var.extra_policies,
  )
  version = "2012-10-17"
}
resource "aws_iam_user_policy" "deploy" {
  user   = aws_iam_user.deploy.name
  policy = data.aws_iam_policy_document.deploy.json
}
`;

const ONE_LINERS = `variable "region" { default = "eu-west-1" }
variable "empty" {}
resource aws_iam_user bare { name = "bare" }
output "key_id" { value = aws_iam_access_key.deploy.id } # exported
terraform {
  required_version = ">= 1.5"
}
`;

// A plain heredoc whose closing marker is indented and followed by spaces (HCL accepts both).
const PLAIN_HEREDOC = `resource "aws_iam_policy" "p" {
  policy = <<POLICY
{
  "Statement": [{"Effect": "Allow", "Resource": "*"}] # not a comment
}
POLICYX
  POLICY  
  name = "p"
}
`;

// 🔑 is two UTF-16 code units, é and ü one each.
const NON_ASCII = `/* clé 🔑 */ resource "aws_iam_user" "ops" { name = "ops-🔑" } # ünïcode\n`;

const TABS = `resource "aws_iam_access_key" "ci" {\n\tuser\t= aws_iam_user.ci.name\t# tabbed\n}\n`;

describe("outlineHcl", () => {
  it.each([PAIR, TEMPLATES, DYNAMIC, ONE_LINERS, PLAIN_HEREDOC, NON_ASCII, TABS].map((t, n) => [n, t]))(
    "fixture %i is valid HCL, so the expectations below are about real input",
    async (_, text) => {
      await expect(parse("main.tf", text)).resolves.toBeTypeOf("object");
    },
  );

  it("finds block headers, spans and depth-1 attributes, skipping nested blocks", () => {
    const { blocks } = outlineHcl(PAIR);
    expect(blocks).toEqual([
      {
        keyword: "resource",
        labels: ["aws_iam_user", "deploy"],
        header: at("2:1-2:35"),
        span: at("2:1-8:2"),
        attributes: { name: at("3:3-3:18"), path: at("4:3-4:16"), tags: at("5:3-7:4") },
      },
      {
        keyword: "resource",
        labels: ["aws_iam_access_key", "deploy"],
        header: at("12:1-12:41"),
        span: at("12:1-21:2"),
        // ignore_changes belongs to lifecycle {}, and lifecycle is a block, not an attribute
        attributes: { user: at("13:3-13:37"), pgp_key: at("14:3-16:8") },
      },
    ]);
  });

  it("collects every comment, after code too, but nothing inside a heredoc", () => {
    expect(outlineHcl(PAIR).comments).toEqual([
      {
        ...at("1:1-1:83"),
        style: "#",
        text: "keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142",
      },
      { ...at("2:36-2:49"), style: "#", text: "the CI user" },
      { ...at("6:23-6:37"), style: "//", text: "owning team" },
      { ...at("10:1-11:25"), style: "/*", text: "Keys are rotated by the vault plugin;\n   see runbook ROT-7." },
      { ...at("19:29-19:35"), style: "#", text: "keep" },
    ]);
  });

  it("skips strings with interpolations, directives and escapes as a whole", () => {
    expect(outlineHcl(TEMPLATES)).toEqual({
      blocks: [
        {
          keyword: "locals",
          labels: [],
          header: at("1:1-1:9"),
          span: at("1:1-10:2"),
          attributes: {
            brace: at("2:3-2:48"),
            greeting: at("3:3-3:74"),
            banner: at("4:3-7:4"),
            escaped: at("8:3-8:54"),
            tags: at("9:3-9:66"),
          },
        },
      ],
      comments: [{ ...at("11:1-11:8"), style: "#", text: "after" }],
    } satisfies FileOutline);
  });

  it("skips nested dynamic blocks and one-line nested blocks; multi-line (..) values end at their )", () => {
    const { blocks } = outlineHcl(DYNAMIC);
    expect(blocks.map((b) => [b.keyword, ...b.labels, b.span])).toEqual([
      ["data", "aws_iam_policy_document", "deploy", at("1:1-18:2")],
      ["resource", "aws_iam_user_policy", "deploy", at("19:1-22:2")],
    ]);
    expect(blocks[0]!.attributes).toEqual({
      source_policy_documents: at("13:3-16:4"),
      version: at("17:3-17:25"),
    });
    expect(blocks[1]!.attributes).toEqual({ user: at("20:3-20:36"), policy: at("21:3-21:52") });
  });

  it("reads one-line blocks, empty blocks and bare labels", () => {
    const { blocks, comments } = outlineHcl(ONE_LINERS);
    expect(blocks).toEqual([
      {
        keyword: "variable",
        labels: ["region"],
        header: at("1:1-1:20"),
        span: at("1:1-1:44"),
        attributes: { default: at("1:21-1:42") },
      },
      { keyword: "variable", labels: ["empty"], header: at("2:1-2:19"), span: at("2:1-2:20"), attributes: {} },
      {
        keyword: "resource",
        labels: ["aws_iam_user", "bare"],
        header: at("3:1-3:29"),
        span: at("3:1-3:45"),
        attributes: { name: at("3:30-3:43") },
      },
      {
        keyword: "output",
        labels: ["key_id"],
        header: at("4:1-4:18"),
        span: at("4:1-4:57"),
        attributes: { value: at("4:19-4:55") },
      },
      {
        keyword: "terraform",
        labels: [],
        header: at("5:1-5:12"),
        span: at("5:1-7:2"),
        attributes: { required_version: at("6:3-6:30") },
      },
    ]);
    expect(comments).toEqual([{ ...at("4:58-4:68"), style: "#", text: "exported" }]);
  });

  it("closes a plain heredoc only at a line holding just its marker", () => {
    const { blocks, comments } = outlineHcl(PLAIN_HEREDOC);
    expect(blocks[0]!.attributes).toEqual({ policy: at("2:3-7:9"), name: at("8:3-8:13") });
    expect(blocks[0]!.span).toEqual(at("1:1-9:2"));
    expect(comments).toEqual([]);
  });

  it("gives CRLF files the same positions as LF files", () => {
    for (const text of [PAIR, TEMPLATES, PLAIN_HEREDOC]) {
      expect(outlineHcl(text.replaceAll("\n", "\r\n"))).toEqual(outlineHcl(text));
    }
  });

  it("does not count a UTF-8 BOM as a column", () => {
    expect(outlineHcl("\uFEFF" + PAIR)).toEqual(outlineHcl(PAIR));
    const { blocks } = outlineHcl('\uFEFFvariable "x" {}\n');
    expect(blocks[0]!.header).toEqual(at("1:1-1:15"));
  });

  it("counts columns in UTF-16 code units", () => {
    expect(outlineHcl(NON_ASCII)).toEqual({
      blocks: [
        {
          keyword: "resource",
          labels: ["aws_iam_user", "ops"],
          header: at("1:14-1:45"),
          span: at("1:14-1:63"),
          attributes: { name: at("1:46-1:61") },
        },
      ],
      comments: [
        { ...at("1:1-1:13"), style: "/*", text: "clé 🔑" },
        { ...at("1:64-1:73"), style: "#", text: "ünïcode" },
      ],
    } satisfies FileOutline);
  });

  it("counts a tab as one column", () => {
    const { blocks, comments } = outlineHcl(TABS);
    expect(blocks[0]!.attributes).toEqual({ user: at("2:2-2:29") });
    expect(comments).toEqual([{ ...at("2:30-2:38"), style: "#", text: "tabbed" }]);
  });

  it("decodes escapes in quoted labels", () => {
    expect(outlineHcl('resource "aws_iam_user" "a\\"b" {}\n').blocks[0]!.labels).toEqual(["aws_iam_user", 'a"b']);
  });

  it("collects comments inside a multi-line interpolation, where they are real comments", () => {
    const text =
      'locals {\n  arn = "arn:aws:iam::${\n    # the vendor account, not ours\n    var.vendor_account_id\n  }:user/sync"\n}\n';
    const { blocks, comments } = outlineHcl(text);
    expect(comments).toEqual([{ ...at("3:5-3:35"), style: "#", text: "the vendor account, not ours" }]);
    expect(blocks[0]!.attributes).toEqual({ arn: at("2:3-5:15") });
  });

  it("counts braces inside an interpolation, which may span lines", () => {
    const text = 'locals {\n  user = "${lookup({ prod = "deploy", stage = "deploy-stage" },\n  var.env, "ci")}"\n}\n';
    const { blocks } = outlineHcl(text);
    expect(blocks[0]!.attributes).toEqual({ user: at("2:3-3:19") });
    expect(blocks[0]!.span).toEqual(at("1:1-4:2"));
  });

  it("takes attribute names literally and keeps the first of duplicates", () => {
    const { attributes } = outlineHcl("locals {\n  __proto__ = 1\n  a = 2\n  a = 3\n}\n").blocks[0]!;
    expect(Object.entries(attributes)).toEqual([
      ["__proto__", at("2:3-2:16")],
      ["a", at("3:3-3:8")],
    ]);
  });

  describe("invalid input", () => {
    it("has no outline for a text that is not valid HCL (such a file is reported, not outlined)", () => {
      for (const text of [
        'resource "aws_iam_user" "u" {\n  name = "u',
        "locals {\n  a = <<EOF\n  } # not closed\n",
        "/* open",
        'locals {\n  a = "open\n}\nvariable "x" {}\n',
      ]) {
        expect(outlineHcl(text), text).toEqual({ blocks: [], comments: [] });
      }
    });

    it("never throws on any prefix of a real file", () => {
      for (const text of [PAIR, TEMPLATES, DYNAMIC, ONE_LINERS, PLAIN_HEREDOC]) {
        for (let n = 0; n <= text.length; n++) {
          const prefix = text.slice(0, n);
          const { blocks, comments } = outlineHcl(prefix);
          const lines = prefix.split("\n");
          const last = { line: lines.length, column: lines.at(-1)!.length + 1 };
          // Nothing may point past the end of what was given.
          for (const { end } of [...blocks.map((b) => b.span), ...comments]) {
            expect(end.line * 1e6 + end.column).toBeLessThanOrEqual(last.line * 1e6 + last.column);
          }
        }
      }
    });

    it("survives pathological nesting without overflowing the stack", () => {
      expect(() => outlineHcl('locals {\n  a = "' + '${"'.repeat(200_000))).not.toThrow();
      expect(outlineHcl("locals {" + "{[(".repeat(100_000)).blocks).toHaveLength(0);
    });

    it("ends on random HCL-ish noise", () => {
      const alphabet = [
        '"',
        "$",
        "%",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "<<EOF\n",
        "<<-X\n",
        "EOF\n",
        "X",
        "#",
        "//",
        "/*",
        "*/",
        "\\",
        "=",
        "\n",
        "\r\n",
        " ",
        "a",
        "resource",
      ];
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let n = 0; n < 3000; n++) {
        const text = Array.from(
          { length: Math.floor(random() * 40) },
          () => alphabet[Math.floor(random() * alphabet.length)],
        ).join("");
        expect(() => outlineHcl(text), JSON.stringify(text)).not.toThrow();
      }
    });

    it("returns nothing for empty input", () => {
      expect(outlineHcl("")).toEqual({ blocks: [], comments: [] });
      expect(outlineHcl("\uFEFF")).toEqual({ blocks: [], comments: [] });
    });
  });
});

const TF_JSON = `{
  "//": "keygate:ignore KG001 -- generated by the vendor sync, SEC-142",
  "resource": {
    "aws_iam_user": {
      "deploy": {
        "name": "deploy",
        "tags": { "Team": "platform" }
      }
    },
    "aws_iam_access_key": {
      "deploy": {
        "//": "rotated by the vault plugin",
        "user": "\${aws_iam_user.deploy.name}",
        "lifecycle": { "ignore_changes": ["user"] }
      }
    }
  },
  "data": { "aws_caller_identity": { "current": {} } },
  "module": { "team": { "source": "./modules/team", "users": ["alice"] } },
  "variable": { "prefix": { "type": "string", "default": "kg" } },
  "locals": { "key_name": "\${var.prefix}-deploy" },
  "output": { "key_id": { "value": "\${aws_iam_access_key.deploy.id}" } }
}
`;

// Arrays may stand for objects at any level (hcl2json itself writes bodies that way).
const TF_JSON_ARRAYS = `{
  "resource": [
    { "aws_iam_user": { "bot": { "name": "bot" } } },
    { "aws_iam_access_key": { "bot": [ { "user": "bot" } ] } }
  ],
  "provider": {
    "aws": [
      { "region": "us-east-1" },
      { "alias": "eu", "region": "eu-west-1" }
    ]
  },
  "locals": [ { "a": 1 }, { "//": "second", "b": 2 } ]
}
`;

describe("outlineTfJson", () => {
  it("outlines resources, data, modules, variables, locals and outputs", () => {
    expect(outlineTfJson(TF_JSON).blocks).toEqual([
      {
        keyword: "resource",
        labels: ["aws_iam_user", "deploy"],
        header: at("5:7-5:18"),
        span: at("5:7-8:8"),
        attributes: { name: at("6:9-6:25"), tags: at("7:9-7:39") },
      },
      {
        keyword: "resource",
        labels: ["aws_iam_access_key", "deploy"],
        header: at("11:7-11:18"),
        span: at("11:7-15:8"),
        // JSON cannot tell a nested block from an attribute, so lifecycle is listed
        attributes: { user: at("13:9-13:46"), lifecycle: at("14:9-14:52") },
      },
      {
        keyword: "data",
        labels: ["aws_caller_identity", "current"],
        header: at("18:38-18:50"),
        span: at("18:38-18:51"),
        attributes: {},
      },
      {
        keyword: "module",
        labels: ["team"],
        header: at("19:15-19:24"),
        span: at("19:15-19:73"),
        attributes: { source: at("19:25-19:51"), users: at("19:53-19:71") },
      },
      {
        keyword: "variable",
        labels: ["prefix"],
        header: at("20:17-20:28"),
        span: at("20:17-20:64"),
        attributes: { type: at("20:29-20:45"), default: at("20:47-20:62") },
      },
      {
        keyword: "locals",
        labels: [],
        header: at("21:3-21:14"),
        span: at("21:3-21:51"),
        attributes: { key_name: at("21:15-21:49") },
      },
      {
        keyword: "output",
        labels: ["key_id"],
        header: at("22:15-22:26"),
        span: at("22:15-22:71"),
        attributes: { value: at("22:27-22:69") },
      },
    ]);
  });

  it('returns "//" properties as comments', () => {
    expect(outlineTfJson(TF_JSON).comments).toEqual([
      { ...at("2:3-2:72"), style: "//", text: "keygate:ignore KG001 -- generated by the vendor sync, SEC-142" },
      { ...at("12:9-12:44"), style: "//", text: "rotated by the vault plugin" },
    ]);
  });

  it("reads array forms: the first block of an array starts at its key, later ones at their own {", () => {
    expect(outlineTfJson(TF_JSON_ARRAYS)).toEqual({
      blocks: [
        {
          keyword: "resource",
          labels: ["aws_iam_user", "bot"],
          header: at("3:25-3:33"),
          span: at("3:25-3:49"),
          attributes: { name: at("3:34-3:47") },
        },
        {
          keyword: "resource",
          labels: ["aws_iam_access_key", "bot"],
          header: at("4:31-4:41"),
          span: at("4:31-4:57"),
          attributes: { user: at("4:42-4:55") },
        },
        {
          keyword: "provider",
          labels: ["aws"],
          header: at("7:5-8:8"),
          span: at("7:5-8:32"),
          attributes: { region: at("8:9-8:30") },
        },
        {
          keyword: "provider",
          labels: ["aws"],
          header: at("9:7-9:8"),
          span: at("9:7-9:47"),
          attributes: { alias: at("9:9-9:22"), region: at("9:24-9:45") },
        },
        {
          keyword: "locals",
          labels: [],
          header: at("12:3-12:16"),
          span: at("12:3-12:25"),
          attributes: { a: at("12:17-12:23") },
        },
        {
          keyword: "locals",
          labels: [],
          header: at("12:27-12:28"),
          span: at("12:27-12:53"),
          attributes: { b: at("12:45-12:51") },
        },
      ],
      comments: [{ ...at("12:29-12:43"), style: "//", text: "second" }],
    } satisfies FileOutline);
  });

  it("gives the same positions with CRLF and a BOM", () => {
    expect(outlineTfJson("\uFEFF" + TF_JSON.replaceAll("\n", "\r\n"))).toEqual(outlineTfJson(TF_JSON));
  });

  it("ignores unknown block types and non-string // values", () => {
    const text = '{ "moved_elsewhere": { "a": { "b": {} } }, "//": ["not", "a", "comment"], "locals": { "//": 1 } }';
    expect(outlineTfJson(text)).toEqual({
      blocks: [{ keyword: "locals", labels: [], header: at("1:75-1:86"), span: at("1:75-1:96"), attributes: {} }],
      comments: [],
    } satisfies FileOutline);
  });

  it("never throws on broken or unexpected JSON", () => {
    for (const text of [
      "",
      "[]",
      "42",
      '{ "resource": ',
      '{ "resource": { "a": { "b": {',
      "{{{{",
      '{ "resource": [[[1]]] }',
    ]) {
      expect(() => outlineTfJson(text)).not.toThrow();
    }
    for (let n = 0; n <= TF_JSON.length; n++) expect(() => outlineTfJson(TF_JSON.slice(0, n))).not.toThrow();
  });
});
