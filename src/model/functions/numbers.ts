import { fail, num } from "../values.js";
import type { Fn } from "./fn.js";

/** Numeric functions (`min`, `max`, `abs`, `ceil`, `floor`). Each takes known arguments and returns Terraform's result or fails as Terraform does. */
export const NUMBERS: Record<string, Fn> = {
  min: (args) => (args.length ? Math.min(...args.map(num)) : fail("must pass at least one number")),
  max: (args) => (args.length ? Math.max(...args.map(num)) : fail("must pass at least one number")),
  abs: ([x]) => Math.abs(num(x)),
  ceil: ([x]) => Math.ceil(num(x)),
  floor: ([x]) => Math.floor(num(x)),
};
