// Loaded into the built bin with `node --import`: appends to $KEYGATE_SPY_LOG a line for every
// file-system call that reads, lists or writes a path under $KEYGATE_SPY_ROOT, and for every child
// process started (git, say). Tests use it to prove that a usage error stops a run before it
// touches anything. (stat and access are not recorded: checking that an output path is writable
// is part of validating the command line.)
import childProcess from "node:child_process";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(process.env.KEYGATE_SPY_ROOT ?? "/nonexistent");
const log = process.env.KEYGATE_SPY_LOG;
const append = fs.appendFileSync;
const record = (line) => log && append(log, `${line}\n`);

const pathOf = (arg) =>
  typeof arg === "string"
    ? arg
    : arg instanceof URL
      ? fileURLToPath(arg)
      : Buffer.isBuffer(arg)
        ? arg.toString()
        : undefined;
const inside = (arg) => {
  const path = pathOf(arg);
  if (path === undefined) return false;
  const full = resolve(path);
  return full === root || full.startsWith(`${root}/`);
};

const PATH_CALLS = [
  "readFile",
  "open",
  "opendir",
  "readdir",
  "writeFile",
  "appendFile",
  "mkdir",
  "rm",
  "rmdir",
  "unlink",
  "rename",
  "copyFile",
  "cp",
  "truncate",
  "createReadStream",
  "createWriteStream",
  "watch",
];
function wrap(target, name, label) {
  const original = target[name];
  if (typeof original !== "function") return;
  target[name] = function (...args) {
    if (inside(args[0]) || (name === "rename" && inside(args[1]))) record(`${label} ${pathOf(args[0])}`);
    return original.apply(this, args);
  };
}
for (const name of PATH_CALLS) {
  wrap(fs, name, name);
  wrap(fs, `${name}Sync`, `${name}Sync`);
  wrap(fs.promises, name, `promises.${name}`);
}
for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  const original = childProcess[name];
  childProcess[name] = function (...args) {
    record(`${name} ${[args[0], ...(Array.isArray(args[1]) ? args[1] : [])].join(" ")}`);
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();
