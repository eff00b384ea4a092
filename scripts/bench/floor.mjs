// The floor under keygate's gate rows: what Node.js itself costs on this machine for the work no
// scan of a git repository can skip, with nothing of keygate loaded. `npm run bench` times it in
// the same run as keygate, so the table says how far each row is from what Node can do at all.
//
//   node floor.mjs start    Node's start-up and exit (an empty module)
//   node floor.mjs list     + git's listing of the repository (`git ls-files -z`, as keygate asks)
//   node floor.mjs lstat    + an lstat of every listed file (what vouches for a file a warm scan does not read)
//   node floor.mjs read     + reading every listed file whole (what a cold scan cannot skip)
import { execFileSync } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";

const mode = process.argv[2];
if (mode !== "start") {
  const files = execFileSync("git", ["ls-files", "-z"], { maxBuffer: 1 << 30 })
    .toString()
    .split("\0");
  files.pop();
  let bytes = 0;
  if (mode === "lstat") for (const file of files) bytes += lstatSync(file).size;
  else if (mode === "read") for (const file of files) bytes += readFileSync(file).length;
  else if (mode !== "list") throw new Error(`unknown mode: ${mode}`);
  if (bytes < 0) console.log(bytes);
}
