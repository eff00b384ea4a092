/**
 * A large JSON report written piece by piece: the document is `JSON.stringify(document, null, 2)`
 * byte for byte, but its one long array (the JSON report's findings, SARIF's results) is rendered
 * one item at a time, so that a report of an organization's 100,000 users is never one string in
 * memory (V8 gives up on a string of a few hundred MB, and the process would hold the report
 * twice: as objects and as text).
 */

/** Pieces of at least this many characters are handed to the writer. */
const PIECE = 64 * 1024;
/** Items rendered and stringified at a time. */
const BATCH = 64;

/**
 * The text of `document` with `items` (rendered by `render`) in place of the empty array at
 * `key`, whose value is `[]` in `document`. `depth` is the nesting of the object that holds `key`
 * (0: the document itself; each object or array on the way counts, so the first element of a
 * top-level array is at 2). Items are rendered lazily, in order.
 */
export function* jsonWithLongArray<T>(
  document: unknown,
  key: string,
  depth: number,
  items: Iterable<T>,
  render: (item: T) => unknown,
): Generator<string> {
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
  // Items are stringified a batch at a time inside as many arrays as put them at their indentation
  // (native JSON.stringify does the work; re-indenting each item's text would cost 2-3 times more).
  const levels = depth + 2;
  let batch: unknown[] = [];
  const flush = () => {
    let wrapped: unknown = batch;
    for (let i = 1; i < levels; i++) wrapped = [wrapped];
    const json = JSON.stringify(wrapped, null, 2);
    let start = 0;
    for (let i = 0; i < levels; i++) start = json.indexOf("\n", start) + 1;
    let end = json.length;
    for (let i = 0; i < levels; i++) end = json.lastIndexOf("\n", end - 1);
    piece += (first ? "\n" : ",\n") + json.slice(start, end);
    first = false;
    batch = [];
  };
  for (const item of items) {
    batch.push(render(item));
    if (batch.length === BATCH) {
      flush();
      if (piece.length >= PIECE) {
        yield piece;
        piece = "";
      }
    }
  }
  if (batch.length) flush();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- flush() sets it: TypeScript cannot see that
  piece += (first ? "" : `\n${indent}`) + text.slice(open);
  yield piece;
}
