/**
 * AWS SDK clients configured as AWS users expect: the default credential chain or a profile, a
 * region (IAM is global: it signs for the partition's region), `--endpoint-url`, and timeouts
 * short enough that an unreachable endpoint fails within seconds.
 */
import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";

// Under Node 20 the SDK prints an eight-line NodeVersionSupportWarning on every run (its releases
// after January 2027 need Node 22). keygate's Node support policy is the README's to state, so the
// SDK's documented switch turns the notice off, unless the user set it. Read when a client is made.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Static credentials or a provider of them, as the SDK clients take them. */
export type Credentials = NonNullable<IAMClientConfig["credentials"]>;

/** How to reach AWS; see `LiveOptions` for the meaning of each field. */
export interface ClientSettings {
  /** The region for STS (regional endpoint); IAM signs for {@link signingRegion} of its partition. */
  region: string;
  profile?: string;
  credentials?: Credentials;
  endpoints: { iam?: string; sts?: string; organizations?: string };
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Sockets per client; a little above the audit's concurrency. */
  maxSockets: number;
}

/** The region used when none is configured anywhere: IAM's signing region in the `aws` partition. */
export const DEFAULT_REGION = "us-east-1";

/**
 * The region a region's partition signs global services (IAM) for: `us-east-1` in `aws`,
 * `cn-north-1` in `aws-cn`, `us-gov-west-1` in `aws-us-gov`.
 */
export function signingRegion(region: string): string {
  if (region.startsWith("cn-")) return "cn-north-1";
  if (region.startsWith("us-gov-")) return "us-gov-west-1";
  if (region.startsWith("us-isob-")) return "us-isob-east-1";
  if (region.startsWith("us-iso-")) return "us-iso-east-1";
  return DEFAULT_REGION;
}

/** The ARN partition of a region. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";
  return "aws";
}

/**
 * The region to use: `--region`, else what the SDK finds (`AWS_REGION`, the profile's `region`),
 * else `AWS_DEFAULT_REGION` (the CLI's variable), else `us-east-1`.
 */
export async function resolveRegion(explicit: string | undefined, profile: string | undefined): Promise<string> {
  if (explicit) return explicit;
  const probe = new STSClient(profile ? { profile } : {});
  try {
    const r = await probe.config.region();
    if (r) return r;
  } catch {
    // no region configured: fall through
  } finally {
    probe.destroy();
  }
  return process.env.AWS_DEFAULT_REGION || DEFAULT_REGION;
}

function common(s: ClientSettings, credentials: Credentials | undefined) {
  return {
    ...(credentials ? { credentials } : s.profile ? { profile: s.profile } : {}),
    // Retries are done by AwsCaller, which counts every call and retries only what is worth it.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: s.connectTimeoutMs,
      requestTimeout: s.requestTimeoutMs,
      throwOnRequestTimeout: true,
      // requestTimeout ends when the headers arrive: an idle timeout on the socket covers every
      // read, so that an endpoint that sends headers and then stalls fails too.
      socketTimeout: s.requestTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: s.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: s.maxSockets },
    },
  };
}

/** An IAM client; `credentials` (an assumed role's) override the settings' credentials. */
export function iamClient(s: ClientSettings, credentials: Credentials | undefined = s.credentials): IAMClient {
  return new IAMClient({
    ...common(s, credentials),
    region: signingRegion(s.region),
    ...(s.endpoints.iam ? { endpoint: s.endpoints.iam } : {}),
  });
}

export function stsClient(s: ClientSettings): STSClient {
  return new STSClient({
    ...common(s, s.credentials),
    region: s.region,
    ...(s.endpoints.sts ? { endpoint: s.endpoints.sts } : {}),
  });
}

export function organizationsClient(s: ClientSettings): OrganizationsClient {
  return new OrganizationsClient({
    ...common(s, s.credentials),
    region: s.region,
    ...(s.endpoints.organizations ? { endpoint: s.endpoints.organizations } : {}),
  });
}
