/** Options that cannot work together or hold impossible values (a usage error: exit 2). */
export class LiveUsageError extends Error {
  override name = "LiveUsageError";
}
