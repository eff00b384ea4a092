/** Options that point the live audit at a fake endpoint, with short pauses so tests stay fast. */
import type { LiveAuditOptions as LiveOptions } from "../../src/live-audit.js";
import type { FakeAws } from "./fake-aws.js";

export function liveOptions(fake: FakeAws, extra: LiveOptions = {}): LiveOptions {
  return {
    endpointUrl: fake.url,
    credentials: fake.baseCredentials,
    region: "us-east-1",
    reportPollIntervalMs: 5,
    reportTimeoutMs: 5_000,
    retryBaseDelayMs: 1,
    ...extra,
  };
}
