import { parentPort } from "node:worker_threads";
import { parseHclWasmWithOutline, type ParseJob } from "./parse-pool.js";

// Each worker runs its own copy of hcl2json's WebAssembly parser, for the files keygate's own
// parser declined; its answers are exactly what the main thread would compute.
parentPort?.on("message", (job: ParseJob) => {
  void parseHclWasmWithOutline(job.text).then((result) => parentPort!.postMessage({ id: job.id, result }));
});
