/**
 * Turning what the AWS SDK throws into messages people can act on: which permission is missing,
 * that credentials are absent or expired, that an endpoint cannot be reached.
 */

/** The kinds of failure the live audit tells apart. */
export type AwsFailureKind =
  | "access-denied"
  | "no-credentials"
  | "expired-credentials"
  | "invalid-credentials"
  | "unreachable"
  | "throttled"
  | "report-timeout"
  | "not-found"
  | "service";

/** A failed AWS call, with a message that names the permission or the fix. */
export class AwsAuditError extends Error {
  constructor(
    readonly kind: AwsFailureKind,
    message: string,
    /** The IAM permission of the call (`iam:ListUsers`), which is also the API action. */
    readonly action: string,
    /** The AWS error code, when AWS sent one. */
    readonly code?: string,
    /** What AWS (or the network layer) said, verbatim. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "AwsAuditError";
  }

  /** Whether every further call in the same account would fail the same way. */
  get fatal(): boolean {
    return this.kind !== "throttled" && this.kind !== "not-found" && this.kind !== "service";
  }
}

/** The read-only permissions the audit of one account needs (all in the AWS-managed SecurityAudit policy). */
export const REQUIRED_IAM_PERMISSIONS = [
  "iam:GenerateCredentialReport",
  "iam:GetCredentialReport",
  "iam:ListUsers",
  "iam:ListAccessKeys",
  "iam:GetAccessKeyLastUsed",
  "iam:GetLoginProfile",
] as const;

const ACCESS_DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"]);
const EXPIRED = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);
const INVALID = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "InvalidSignatureException",
  "MissingAuthenticationToken",
  "MissingAuthenticationTokenException",
  "InvalidAccessKeyId",
  "AuthFailure",
]);
const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "SlowDown",
  // IAM answers a too-frequent GenerateCredentialReport with LimitExceeded; the audit makes no
  // call that could hit an entity limit, so for it this is a rate too.
  "LimitExceeded",
  "LimitExceededException",
]);
const NETWORK = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
]);

/** The AWS error code of an SDK error (`AccessDenied`, `Throttling`…), if it has one. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { Code?: unknown; name?: unknown; $metadata?: unknown };
  if (typeof e.Code === "string") return e.Code;
  if (e.$metadata !== undefined && typeof e.name === "string") return e.name;
  return undefined;
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function networkCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (!e) return undefined;
  if (typeof e.code === "string" && NETWORK.has(e.code)) return e.code;
  if (Array.isArray(e.errors))
    for (const inner of e.errors) {
      const c = networkCode(inner);
      if (c) return c;
    }
  return e.cause && e.cause !== err ? networkCode(e.cause) : undefined;
}

/** Throttling: retry later with backoff. */
export function isThrottling(err: unknown): boolean {
  const code = awsErrorCode(err);
  return (code !== undefined && THROTTLING.has(code)) || httpStatus(err) === 429;
}

/** Connection failures worth one more try: a kept-alive socket the server closed while it was idle. */
const RESET = new Set(["ECONNRESET", "EPIPE"]);

/**
 * A failure worth one more try: HTTP 5xx, or a connection reset (every call of the audit is
 * read-only, so sending it again is safe). A refused or unreachable endpoint is not retried.
 */
export function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== undefined) return status >= 500;
  const net = networkCode(err);
  return net !== undefined && RESET.has(net);
}

/**
 * Describe a failed call of `action` (an IAM permission name such as `iam:ListUsers`) against
 * `endpoint` (a URL or a service name), made with `profile` if one was named, so that the reader
 * knows what to do.
 */
export function describeAwsError(err: unknown, action: string, endpoint: string, profile?: string): AwsAuditError {
  if (err instanceof AwsAuditError) return err;
  const code = awsErrorCode(err);
  const name = (err as { name?: unknown } | null)?.name;
  const said = awsMessage(err);

  if (name === "CredentialsProviderError" || /could not load credentials|profile .* could not be found/i.test(said)) {
    return new AwsAuditError(
      "no-credentials",
      `no AWS credentials${profile ? ` for the profile "${profile}"` : ""}: ${said}. keygate uses the AWS SDK's default chain (environment variables, SSO, shared config and credentials files, container or instance metadata); pass --profile NAME or set AWS_PROFILE, or run \`aws sso login\``,
      action,
      undefined,
      said,
    );
  }
  if (code && EXPIRED.has(code)) {
    return new AwsAuditError(
      "expired-credentials",
      `the AWS credentials have expired (${code} on ${action}): refresh them (for SSO: \`aws sso login\`) and run again`,
      action,
      code,
      said,
    );
  }
  if (code && INVALID.has(code)) {
    return new AwsAuditError(
      "invalid-credentials",
      `AWS rejected the credentials (${code} on ${action}): ${said}. Check the access key, the profile, or the clock of this machine`,
      action,
      code,
      said,
    );
  }
  if (code && ACCESS_DENIED.has(code)) {
    return new AwsAuditError(
      "access-denied",
      `access denied: the audit needs the permission ${action} (read-only; the AWS-managed SecurityAudit policy grants it). AWS said: ${said}`,
      action,
      code,
      said,
    );
  }
  if (isThrottling(err)) {
    return new AwsAuditError(
      "throttled",
      `${action} was still throttled after retrying with backoff (${code ?? "HTTP 429"}): run again later or lower --concurrency`,
      action,
      code,
      said,
    );
  }
  const net = networkCode(err);
  if (net || name === "TimeoutError") {
    const why = net ? (said === "" ? net : said.includes(net) ? said : `${net}: ${said}`) : said || "timed out";
    return new AwsAuditError(
      "unreachable",
      `cannot reach ${endpoint} for ${action} (${why}); check --endpoint-url, --region, the network or a proxy`,
      action,
      net,
      said,
    );
  }
  if (code === "NoSuchEntity" || code === "NoSuchEntityException") {
    return new AwsAuditError("not-found", `${action}: ${said}`, action, code, said);
  }
  const status = httpStatus(err);
  if (status !== undefined && (said === "" || said === "Unknown" || said === "UnknownError")) {
    return new AwsAuditError(
      "service",
      `${endpoint} answered ${action} with HTTP ${status} and no AWS error: is it an IAM endpoint? Check --endpoint-url`,
      action,
      code,
      said,
    );
  }
  const where = status !== undefined ? ` (HTTP ${status}${code ? ` ${code}` : ""})` : code ? ` (${code})` : "";
  return new AwsAuditError("service", `${action} failed${where}: ${said || "no message"}`, action, code, said);
}

function awsMessage(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/\s+/g, " ").trim();
  return String(err);
}
