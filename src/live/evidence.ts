// The live audit's evidence is part of the findings every layer shares (see findings.ts).
export type { LiveKeyCase, LiveKeyEvidence } from "../findings.js";
