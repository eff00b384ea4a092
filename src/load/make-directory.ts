import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * `mkdir -p`, parent by parent. Node 20's `mkdir(dir, { recursive: true })` never settles for a
 * path under /proc (it retries ENOENT forever), which would hang a run given `-o /proc/x/report`
 * or such a `--cache-location`; here a directory that cannot be made is an error once.
 */
export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  const options = mode === undefined ? {} : { mode };
  try {
    await mkdir(dir, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw error;
    await makeDirectory(parent, mode);
    try {
      await mkdir(dir, options);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== "EEXIST") throw again;
    }
  }
}
