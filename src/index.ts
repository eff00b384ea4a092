/** keygate's programmatic API: the same pipeline the CLI runs. */
export { run, exitCodeOf, EXIT, type CliIO } from "./cli.js";
export { scan, type ScanRequest, type ScanResult } from "./scan.js";
export { loadSettings, type Settings } from "./load/config.js";
export { loadPolicies, type Policy } from "./policies/catalog.js";
export { REPORTERS } from "./report/index.js";
export type { Finding, InputError, Warning, Severity, SourceLocation } from "./findings.js";
