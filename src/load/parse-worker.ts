import { parentPort } from "node:worker_threads";
import { getExpressionAst } from "@cdktf/hcl2json";
import { parseHclWasmWithOutline } from "./parse-pool.js";

/** A request to a parser worker: a whole HCL file, or one expression's syntax tree. */
export type ParseJob = { id: number; kind: "file"; text: string } | { id: number; kind: "expression"; text: string };

// Each worker runs its own copy of hcl2json's WebAssembly parser, for the files keygate's own
// parser declined and for expressions; its answers are exactly what the main thread would compute.
parentPort?.on("message", async (job: ParseJob) => {
  if (job.kind === "file") {
    parentPort!.postMessage({ id: job.id, result: await parseHclWasmWithOutline(job.text) });
    return;
  }
  let result: unknown = null;
  try {
    result = await getExpressionAst("expression.tf", job.text);
  } catch {
    result = null;
  }
  parentPort!.postMessage({ id: job.id, result });
});
