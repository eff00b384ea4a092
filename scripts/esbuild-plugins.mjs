// esbuild plugins shared by the CLI's bundle (scripts/bundle.mjs) and the Action's
// (scripts/build-action.mjs).
import { readFileSync } from "node:fs";

/**
 * yargs looks for "the application's" package.json from the directory above its node_modules, which
 * in a bundle is the working directory: every run would list the scanned directory and its parents
 * (and read a package.json there) before keygate has even checked its command line. Bundled, it
 * starts from the bundle's own directory, and finds keygate's package.json.
 */
export function yargsOwnPackage() {
  const shim = /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;
  const from = "mainFilename: mainFilename || process.cwd(),";
  return {
    name: "yargs-own-package",
    setup(b) {
      b.onLoad({ filter: shim }, (args) => {
        const source = readFileSync(args.path, "utf8");
        if (!source.includes(from))
          throw new Error(`${args.path} no longer holds "${from}": update scripts/esbuild-plugins.mjs`);
        return { contents: source.replace(from, "mainFilename: fileURLToPath(import.meta.url),"), loader: "js" };
      });
    },
  };
}
