/** A synthetic plan (the shape of `terraform show -json`) with `n` resource changes (see generate-plan.mjs). */
export function generatePlan(n: number, options?: { pairs?: number }): object;
