/** keygate's programmatic API: the same pipelines the CLI runs. */
export { run, exitCodeOf, EXIT, type CliIO } from "./cli.js";
export { scan, type ScanRequest, type ScanResult } from "./scan.js";
export { scanChange, type ChangeScanRequest } from "./change/scan-change.js";
export { auditLive, auditCredentialReport, type LiveAuditOptions as LiveOptions } from "./live-audit.js";
export type { LiveAuditResult } from "./live/index.js";
export { loadSettings, type Settings } from "./load/config.js";
export { loadPolicies, type Policy } from "./policies/catalog.js";
export { REPORTERS } from "./report/index.js";
export type { Finding, Evidence, InputError, Warning, Severity, SourceLocation } from "./findings.js";
