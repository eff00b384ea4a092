/**
 * A large JSON report written piece by piece: the document is `JSON.stringify(document, null, 2)`
 * byte for byte, but its one long array (the JSON report's findings, SARIF's results) is rendered
 * one item at a time, so that a report of an organization's 100,000 users is never one string in
 * memory (V8 gives up on a string of a few hundred MB, and the process would hold the report
 * twice: as objects and as text).
 */

/** Pieces of about this many characters are handed to the writer. */
const PIECE = 64 * 1024;

/**
 * The text of `document` with `items` (rendered by `render`) in place of the empty array at
 * `key`, whose value is `[]` in `document`. `depth` is the nesting of the object that holds `key`
 * (0: the document itself; each object or array on the way counts, so the first element of a
 * top-level array is at 2). Items are rendered lazily, in order.
 */
export function* jsonWithLongArray<T>(document: unknown, key: string, depth: number, items: Iterable<T>, render: (item: T) => unknown): Generator<string> {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  // Every property line starts with a newline and its depth's indentation; strings never hold a raw
  // newline, so this line is the property's own, at the first place it occurs at this depth
  // (callers place the array before anything that could repeat the key at that indentation).
  const indent = " ".repeat(2 * (depth + 1));
  const marker = `\n${indent}${JSON.stringify(key)}: []`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`jsonWithLongArray: no empty array ${JSON.stringify(key)} at depth ${depth}`);
  const open = at + marker.length - 1; // after "["
  let piece = text.slice(0, open);
  let first = true;
  const inner = `\n${indent}  `;
  for (const item of items) {
    piece += (first ? inner : `,${inner}`) + JSON.stringify(render(item), null, 2).replace(/\n/g, inner);
    first = false;
    if (piece.length >= PIECE) {
      yield piece;
      piece = "";
    }
  }
  piece += (first ? "" : `\n${indent}`) + text.slice(open);
  yield piece;
}
