import { createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditLive } from "../../src/live-audit.js";
import { startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { liveOptions } from "../support/live.js";

let fake: FakeAws;
beforeEach(async () => {
  fake = await startFakeAws();
});
afterEach(async () => {
  await fake.close();
});

describe("keygate live against an endpoint that stalls", () => {
  it(
    "sends headers and part of a body, then nothing: an error within the idle timeout, not a hang",
    { timeout: 60_000 },
    async () => {
      const stalling = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/xml", "content-length": "100000" });
        res.write("<GenerateCredentialReportResponse xmlns=");
        // …and never another byte.
      });
      await new Promise<void>((r) => stalling.listen(0, "127.0.0.1", r));
      const url = `http://127.0.0.1:${(stalling.address() as { port: number }).port}`;
      try {
        const started = Date.now();
        const { errors } = await auditLive(liveOptions(fake, { endpointUrl: url, requestTimeoutMs: 500 }));
        // A bound for a hang, with room for a loaded machine: the idle timeout is half a second.
        expect(Date.now() - started).toBeLessThan(30_000);
        expect(errors).toHaveLength(1);
        expect(errors[0]?.message).toMatch(
          /^cannot reach http:\/\/127\.0\.0\.1:\d+ for iam:GenerateCredentialReport \(.*\)/,
        );
      } finally {
        stalling.closeAllConnections();
        stalling.close();
      }
    },
  );
});
