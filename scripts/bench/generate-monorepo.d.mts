/** Writes a deterministic synthetic Terraform monorepo to `out` (see generate-monorepo.mjs). */
export function generateMonorepo(
  out: string,
  options?: { files?: number; violations?: number; allIam?: boolean; roots?: number },
): { files: number; bytes: number; stacks: number; violations: number };
/** A deterministic pseudo-random number generator (mulberry32): numbers in [0, 1). */
export function random(seed: number): () => number;
