/** A Terraform function over fully known arguments: its result, or a failure as Terraform's (see index.ts). */
export type Fn = (args: unknown[]) => unknown;
