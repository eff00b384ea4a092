import { describe, expect, it } from "vitest";
import { jsonWithLongArray } from "../../src/report/json-stream.js";

const whole = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

describe("jsonWithLongArray", () => {
  it("writes exactly JSON.stringify's text, the long array item by item", () => {
    const items = [
      { a: 1, b: "x\ny" },
      { a: 2, nested: { deep: [1, { c: null }] } },
      { a: 3, b: '"findings": []' },
    ];
    const doc = {
      version: 1,
      findings: [] as unknown[],
      errors: [{ message: '\n  "findings": []' }],
      summary: { n: 3 },
    };
    const text = [...jsonWithLongArray(doc, "findings", 0, items, (i) => i)].join("");
    expect(text).toBe(whole({ ...doc, findings: items }));
    expect(JSON.parse(text).findings).toEqual(items);
  });

  it("keeps an empty array as JSON.stringify writes it", () => {
    const doc = { findings: [], errors: [] };
    expect([...jsonWithLongArray(doc, "findings", 0, [], (i) => i)].join("")).toBe(whole(doc));
  });

  it("finds the array of an object inside an array (SARIF's runs[0].results)", () => {
    const results = Array.from({ length: 5 }, (_, i) => ({ ruleId: "KG001", message: { text: `m${i}` }, results: [] }));
    const log = {
      version: "2.1.0",
      runs: [{ tool: { driver: { name: "keygate", results: [] } }, results: [] as unknown[] }],
    };
    const text = [...jsonWithLongArray(log, "results", 2, results, (r) => r)].join("");
    expect(text).toBe(whole({ ...log, runs: [{ ...log.runs[0], results }] }));
  });

  it("hands a long report over in pieces, rendering items only as they are written", () => {
    let rendered = 0;
    const items = Array.from({ length: 3000 }, (_, i) => i);
    const pieces = jsonWithLongArray({ findings: [] }, "findings", 0, items, (i) => {
      rendered += 1;
      return { index: i, padding: "p".repeat(100) };
    });
    const first = pieces.next();
    expect(first.done).toBe(false);
    expect(rendered).toBeLessThan(items.length);
    const rest = [...pieces];
    expect(rest.length).toBeGreaterThan(2);
    expect(rendered).toBe(items.length);
    expect(JSON.parse([first.value as string, ...rest].join("")).findings).toHaveLength(3000);
  });

  it("refuses a document without the empty array (a programming error, not a silent report)", () => {
    expect(() => [...jsonWithLongArray({ findings: [1] }, "findings", 0, [], (i) => i)]).toThrow(
      /no empty array "findings"/,
    );
  });
});
