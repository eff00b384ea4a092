import { describe, expect, it } from "vitest";
import {
  existedBefore,
  noveltyOf,
  withoutInstanceKeys,
  type Instances,
  type Inventory,
} from "../../src/change/inventory.js";
import type { Move } from "../../src/model/module.js";

const before = (...addresses: string[]): Inventory => inventory(addresses);

function inventory(
  addresses: string[],
  instances: Record<string, Partial<Instances> & Pick<Instances, "keys">> = {},
  moves: Move[] = [],
  identities: Record<string, string> = {},
): Inventory {
  return {
    root: "/r",
    dirs: new Set(["/r"]),
    addresses: new Set(addresses),
    instances: new Map(Object.entries(instances).map(([a, i]) => [a, { kind: "for_each", written: "x", ...i }])),
    moves,
    identities: new Map(Object.entries(identities)),
    fingerprints: new Set(),
  };
}

describe("existedBefore", () => {
  it("matches module-qualified addresses without instance keys", () => {
    expect(existedBefore('module.a["x"].aws_iam_user.u[0]', before("module.a.aws_iam_user.u"), [])).toBe(true);
    expect(existedBefore("aws_iam_user.u", before("module.a.aws_iam_user.u"), [])).toBe(false);
    expect(existedBefore("aws_iam_user.u", undefined, [])).toBe(false);
  });

  it("follows moved blocks: resources, chains, and whole module calls, but not name prefixes", () => {
    const moves = [
      { from: "aws_iam_user.a", to: "aws_iam_user.b" },
      { from: "aws_iam_user.b", to: "aws_iam_user.c" },
      { from: "module.old", to: "module.new" },
    ];
    expect(existedBefore("aws_iam_user.c", before("aws_iam_user.a"), moves)).toBe(true);
    expect(existedBefore("module.new.aws_iam_access_key.k", before("module.old.aws_iam_access_key.k"), moves)).toBe(
      true,
    );
    expect(existedBefore("module.newer.aws_iam_access_key.k", before("module.old.aws_iam_access_key.k"), moves)).toBe(
      false,
    );
    expect(existedBefore("aws_iam_user.c", before("aws_iam_user.z"), moves)).toBe(false);
  });

  it("ends on cyclic moves", () => {
    const moves = [
      { from: "aws_iam_user.a", to: "aws_iam_user.b" },
      { from: "aws_iam_user.b", to: "aws_iam_user.a" },
    ];
    expect(existedBefore("aws_iam_user.a", before("aws_iam_user.z"), moves)).toBe(false);
  });
});

describe("withoutInstanceKeys", () => {
  it("drops count and for_each keys, quoted ones with brackets inside too", () => {
    expect(withoutInstanceKeys('module.a["x]y"].module.b[2].aws_iam_user.u["k"]')).toBe(
      "module.a.module.b.aws_iam_user.u",
    );
  });
});

describe("noveltyOf", () => {
  const keys = (...k: string[]) => new Set(k);

  it("a new block is new whole, or in all its known instances", () => {
    expect(noveltyOf("aws_iam_user.u", inventory([]), inventory(["aws_iam_user.u"]))).toBe("block");
    expect(
      noveltyOf(
        "aws_iam_user.u",
        undefined,
        inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: keys("a", "b") } }),
      ),
    ).toEqual(keys("a", "b"));
  });

  it("a block whose ForceNew arguments changed is replaced: new whole, or in all its known instances", () => {
    const k = "aws_iam_access_key.k";
    expect(noveltyOf(k, inventory([k], {}, [], { [k]: "user=a" }), inventory([k], {}, [], { [k]: "user=b" }))).toBe(
      "block",
    );
    expect(noveltyOf(k, inventory([k], {}, [], { [k]: "user=a" }), inventory([k], {}, [], { [k]: "user=a" }))).toBe(
      "none",
    );
    expect(
      noveltyOf(
        k,
        inventory([k], { [k]: { keys: keys("x") } }, [], { [k]: "user=a" }),
        inventory([k], { [k]: { keys: keys("x", "y") } }, [], { [k]: "user=b" }),
      ),
    ).toEqual(keys("x", "y"));
    // Renamed by a moved block and re-pointed: still replaced.
    const moved = [{ from: k, to: "aws_iam_access_key.k2" }];
    expect(
      noveltyOf(
        "aws_iam_access_key.k2",
        inventory([k], {}, [], { [k]: "user=a" }),
        inventory(["aws_iam_access_key.k2"], {}, moved, { "aws_iam_access_key.k2": "user=b" }),
      ),
    ).toBe("block");
  });

  it("an existing block is new in the instance keys it gained", () => {
    const was = inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: keys("a") } });
    expect(
      noveltyOf("aws_iam_user.u", was, inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: keys("a", "b") } })),
    ).toEqual(keys("b"));
    expect(
      noveltyOf("aws_iam_user.u", was, inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: keys("a") } })),
    ).toBe("none");
    expect(noveltyOf("aws_iam_user.u", was, inventory(["aws_iam_user.u"]))).toBe("none");
  });

  it("count added to a single block keeps its [0]; moved-in instances are not new", () => {
    const single = inventory(["aws_iam_user.u"]);
    expect(
      noveltyOf(
        "aws_iam_user.u",
        single,
        inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: keys("0", "1"), kind: "count" } }),
      ),
    ).toEqual(keys("1"));
    const moved = inventory(["aws_iam_user.v"], { "aws_iam_user.v": { keys: keys("x", "y") } }, [
      { from: "aws_iam_user.u", to: 'aws_iam_user.v["x"]' },
    ]);
    expect(noveltyOf("aws_iam_user.v", single, moved)).toEqual(keys("y"));
  });

  it("unknown instances: unchanged as written is nothing new, changed is unknown (fail closed)", () => {
    const was = inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: "unknown", written: "var.users" } });
    expect(
      noveltyOf(
        "aws_iam_user.u",
        was,
        inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: "unknown", written: "var.users" } }),
      ),
    ).toBe("none");
    expect(
      noveltyOf(
        "aws_iam_user.u",
        was,
        inventory(["aws_iam_user.u"], { "aws_iam_user.u": { keys: "unknown", written: "var.people" } }),
      ),
    ).toBe("unknown");
  });
});
