/**
 * A local AWS endpoint for tests: IAM (awsQuery), STS AssumeRole/GetCallerIdentity (awsQuery)
 * and Organizations ListAccounts (JSON 1.1) on one HTTP server on 127.0.0.1, backed by
 * per-account models (test/support/fake-aws-model.ts).
 *
 * Wire formats follow botocore's service models (iam 2010-05-08, sts 2011-06-15,
 * organizations 2016-11-28) and the IAM API reference samples: `POST /` with a form body,
 * `<XResponse xmlns=…><XResult>…</XResult><ResponseMetadata>…` replies, lists as `<member>`,
 * `Marker`/`MaxItems`/`IsTruncated` pagination, and
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` errors
 * with IAM's HTTP codes. The real AWS CLI talks to it (test/live/fake-aws-cli.test.ts).
 *
 * Requests are routed to an account by the access key id in the SigV4 `Authorization` header;
 * signatures are parsed, not verified.
 *
 * Knobs: per-call latency, throttling (given call numbers, or a seeded rate), access denied per
 * action, injected errors, expired credentials, a page-size cap, and a counter per action.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeAccount, xmlTime } from "./fake-aws-model.js";

export { FakeAccount, reportTime, xmlTime } from "./fake-aws-model.js";
export type { FakeAccessKey, FakePasswordPolicy, FakeUser, KeySpec, ReportState, UserSpec } from "./fake-aws-model.js";

const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const ORG_TARGET_PREFIX = "AWSOrganizationsV20161128.";
const MAX_BODY_BYTES = 1 << 20;

/** The account the base credentials belong to; it is also the organization's management account. */
export const MANAGEMENT_ACCOUNT = "111111111111";

export interface FakeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface Principal {
  accountId: string;
  arn: string;
  secretAccessKey: string;
  sessionToken?: string;
  expired: boolean;
}

export interface ThrottleSpec {
  /** 1-based numbers of the calls (counted over the whole server) to throttle. */
  calls?: number[];
  /** Probability in [0, 1] of throttling a call, from a seeded generator (reproducible). */
  rate?: number;
  seed?: number;
  /** Only these actions (`iam:ListAccessKeys`); all when absent. */
  actions?: string[];
}

export interface OrgAccountSpec {
  id: string;
  name: string;
  state?: "ACTIVE" | "SUSPENDED" | "PENDING_CLOSURE" | "CLOSED" | "PENDING_ACTIVATION";
}

class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The fake endpoint. Create it with {@link startFakeAws}; close it with {@link FakeAws.close}. */
export class FakeAws {
  /** `http://127.0.0.1:PORT`. */
  url = "";
  /** Delay added to every call, in milliseconds. */
  latencyMs = 0;
  /** Largest page the server returns whatever `MaxItems` asks (IAM may return fewer). */
  pageCap = 1000;
  /** Calls per `service:Action` (all attempts, including refused ones). */
  readonly calls = new Map<string, number>();
  /** Calls per account and `service:Action`. */
  readonly callsByAccount = new Map<string, Map<string, number>>();
  /** How many calls were answered with a throttling error. */
  throttled = 0;
  /** Requests being served now, and the most ever served at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Organization accounts in `ListAccounts` order. */
  readonly orgAccounts: OrgAccountSpec[] = [];
  /** Told of each call as it arrives (its account, when the credentials are known), for tests of the order of calls. */
  onCall: ((action: string, accountId: string | undefined) => void) | undefined;
  /** Current time of the model (the report's generation time, the expiry of assumed credentials). */
  clock: () => Date = () => new Date();

  readonly baseCredentials: FakeCredentials = {
    accessKeyId: "AKIAKEYGATETEST00001",
    secretAccessKey: "fakeSecretKeyForTestsOnly0000000000000000",
  };

  private readonly accounts = new Map<string, FakeAccount>();
  private readonly principals = new Map<string, Principal>();
  private readonly denied = new Set<string>();
  private throttle: (ThrottleSpec & { next: () => number }) | null = null;
  private readonly injected = new Map<string, Array<{ status: number; code: string; message: string }>>();
  private seq = 0;
  private sessionSerial = 0;
  private server: Server | undefined;

  constructor() {
    this.principals.set(this.baseCredentials.accessKeyId, {
      accountId: MANAGEMENT_ACCOUNT,
      arn: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/auditor`,
      secretAccessKey: this.baseCredentials.secretAccessKey,
      expired: false,
    });
    this.account(MANAGEMENT_ACCOUNT);
  }

  /** The account with this id, created on first use. */
  account(id: string = MANAGEMENT_ACCOUNT): FakeAccount {
    let a = this.accounts.get(id);
    if (!a) {
      a = new FakeAccount(id, () => this.clock());
      this.accounts.set(id, a);
    }
    return a;
  }

  /** Add accounts to the organization (and create their models). */
  addOrgAccounts(...specs: OrgAccountSpec[]): void {
    for (const s of specs) {
      this.orgAccounts.push(s);
      this.account(s.id);
    }
  }

  /** Refuse `action` (`iam:ListUsers`, `sts:AssumeRole`…), in one account or in all. */
  deny(action: string, accountId?: string): void {
    this.denied.add(accountId ? `${accountId}/${action}` : action);
  }

  allow(action: string, accountId?: string): void {
    this.denied.delete(accountId ? `${accountId}/${action}` : action);
  }

  setThrottling(spec: ThrottleSpec | null): void {
    this.throttle = spec ? { ...spec, next: mulberry32(spec.seed ?? 1) } : null;
  }

  /**
   * Answer the next `times` calls of `action` with this error (after authentication), e.g.
   * `ReportExpired` right after GenerateCredentialReport said COMPLETE, or a 500 ServiceFailure.
   */
  injectError(action: string, error: { status: number; code: string; message: string }, times = 1): void {
    const queue = this.injected.get(action) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.injected.set(action, queue);
  }

  /** Make these credentials fail as expired (`ExpiredToken`). */
  expireCredentials(accessKeyId: string = this.baseCredentials.accessKeyId): void {
    const p = this.principals.get(accessKeyId);
    if (p) p.expired = true;
  }

  /** Total calls, optionally of one action. */
  callCount(action?: string): number {
    if (action) return this.calls.get(action) ?? 0;
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  resetCalls(): void {
    this.calls.clear();
    this.callsByAccount.clear();
    this.throttled = 0;
    this.seq = 0;
    this.maxInFlight = 0;
  }

  /** Listen on 127.0.0.1 on a free port. */
  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`fake-aws internal error: ${String(err)}`);
        } else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Stop listening and drop open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.serve(req, res);
    } finally {
      this.inFlight -= 1;
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === null) {
      res.writeHead(413).end();
      return;
    }
    const target = header(req, "x-amz-target");
    const auth = parseAuthorization(header(req, "authorization"));
    const requestId = randomUUID();

    if (target !== undefined) {
      const action = target.startsWith(ORG_TARGET_PREFIX) ? target.slice(ORG_TARGET_PREFIX.length) : target;
      await this.serveJson(res, requestId, action, body, auth);
      return;
    }
    const params = new URLSearchParams(req.method === "GET" ? (req.url ?? "").replace(/^[^?]*\??/, "") : body);
    const version = params.get("Version");
    const service = auth?.service ?? (version === "2011-06-15" ? "sts" : "iam");
    const ns = service === "sts" ? STS_NS : IAM_NS;
    const action = params.get("Action") ?? "";
    try {
      const caller = await this.admit(`${service}:${action}`, auth, "query");
      const result = service === "sts" ? this.sts(action, params, caller) : this.iam(action, params, caller);
      sendXml(
        res,
        200,
        `<${action}Response xmlns="${ns}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`,
        requestId,
      );
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      const type = err.status >= 500 ? "Receiver" : "Sender";
      sendXml(
        res,
        err.status,
        `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${esc(err.code)}</Code>\n    <Message>${esc(err.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
        requestId,
      );
    }
  }

  /** Count the call, add latency, then authenticate, throttle and authorize it. */
  private async admit(action: string, auth: ParsedAuth | undefined, protocol: "query" | "json"): Promise<Principal> {
    const seq = ++this.seq;
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    const principal = auth ? this.principals.get(auth.accessKeyId) : undefined;
    this.onCall?.(action, principal?.accountId);
    if (principal) {
      let m = this.callsByAccount.get(principal.accountId);
      if (!m) this.callsByAccount.set(principal.accountId, (m = new Map()));
      m.set(action, (m.get(action) ?? 0) + 1);
    }
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const json = protocol === "json";
    if (!auth)
      throw new ServiceError(
        json ? 400 : 403,
        json ? "MissingAuthenticationTokenException" : "MissingAuthenticationToken",
        "Request is missing Authentication Token",
      );
    if (!principal)
      throw new ServiceError(
        json ? 400 : 403,
        json ? "UnrecognizedClientException" : "InvalidClientTokenId",
        "The security token included in the request is invalid.",
      );
    if (principal.expired)
      throw new ServiceError(
        json ? 400 : 403,
        json ? "ExpiredTokenException" : "ExpiredToken",
        "The security token included in the request is expired",
      );
    const t = this.throttle;
    if (t && (!t.actions || t.actions.includes(action))) {
      const hit = (t.calls?.includes(seq) ?? false) || (t.rate !== undefined && t.next() < t.rate);
      if (hit) {
        this.throttled += 1;
        throw new ServiceError(400, json ? "TooManyRequestsException" : "Throttling", "Rate exceeded");
      }
    }
    const injected = this.injected.get(action)?.shift();
    if (injected) throw new ServiceError(injected.status, injected.code, injected.message);
    if (this.denied.has(action) || this.denied.has(`${principal.accountId}/${action}`)) {
      if (json)
        throw new ServiceError(400, "AccessDeniedException", "You don't have permissions to access this resource.");
      const resource = action === "sts:AssumeRole" ? "" : `arn:aws:iam::${principal.accountId}:user/`;
      throw new ServiceError(
        403,
        "AccessDenied",
        `User: ${principal.arn} is not authorized to perform: ${action}${resource ? ` on resource: ${resource}` : ""} because no identity-based policy allows the ${action} action`,
      );
    }
    return principal;
  }

  private iam(action: string, p: URLSearchParams, caller: Principal): string {
    const account = this.account(caller.accountId);
    switch (action) {
      case "ListUsers": {
        const prefix = p.get("PathPrefix") ?? "/";
        const users = [...account.users.values()].filter((u) => u.path.startsWith(prefix));
        const page = this.paginate(users, p, 100, 1000);
        const members = page.items
          .map(
            (u) =>
              `      <member>\n${tags(6, { Path: u.path, UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: xmlTime(u.createDate), PasswordLastUsed: u.loginProfile?.passwordLastUsed && xmlTime(u.loginProfile.passwordLastUsed) })}      </member>\n`,
          )
          .join("");
        return `    <Users>\n${members}    </Users>\n${pageTags(page)}`;
      }
      case "ListAccessKeys": {
        const userName = p.get("UserName") ?? "";
        const user = account.users.get(userName);
        if (!user) throw noSuchUser(userName);
        const page = this.paginate(user.keys, p, 100, 1000);
        const members = page.items
          .map(
            (k) =>
              `      <member>\n${tags(6, { UserName: user.name, AccessKeyId: k.id, Status: k.status, CreateDate: xmlTime(k.createDate) })}      </member>\n`,
          )
          .join("");
        return `    <UserName>${esc(user.name)}</UserName>\n    <AccessKeyMetadata>\n${members}    </AccessKeyMetadata>\n${pageTags(page)}`;
      }
      case "GetAccessKeyLastUsed": {
        const id = p.get("AccessKeyId") ?? "";
        const found = account.findKey(id);
        if (!found)
          throw new ServiceError(
            403,
            "AccessDenied",
            `User: ${caller.arn} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${id}`,
          );
        const lu = found.key.lastUsed;
        const inner = tags(6, {
          Region: lu?.region ?? "N/A",
          LastUsedDate: lu && xmlTime(lu.date),
          ServiceName: lu?.service ?? "N/A",
        });
        return `    <AccessKeyLastUsed>\n${inner}    </AccessKeyLastUsed>\n    <UserName>${esc(found.user.name)}</UserName>\n`;
      }
      case "GetLoginProfile": {
        const userName = p.get("UserName") ?? "";
        const user = account.users.get(userName);
        if (!user) throw noSuchUser(userName);
        if (!user.loginProfile)
          throw new ServiceError(404, "NoSuchEntity", `Login Profile for User ${userName} cannot be found.`);
        return `    <LoginProfile>\n${tags(6, { UserName: user.name, CreateDate: xmlTime(user.loginProfile.createDate), PasswordResetRequired: "false" })}    </LoginProfile>\n`;
      }
      case "GetAccountPasswordPolicy": {
        const policy = account.passwordPolicy;
        if (!policy)
          throw new ServiceError(
            404,
            "NoSuchEntity",
            `The Password Policy with domain name ${account.id} cannot be found.`,
          );
        // As IAM answers: ExpirePasswords is derived from MaxPasswordAge; unset fields are left out.
        const fields = {
          MinimumPasswordLength: String(policy.MinimumPasswordLength),
          RequireSymbols: String(policy.RequireSymbols ?? false),
          RequireNumbers: String(policy.RequireNumbers ?? false),
          RequireUppercaseCharacters: String(policy.RequireUppercaseCharacters ?? false),
          RequireLowercaseCharacters: String(policy.RequireLowercaseCharacters ?? false),
          AllowUsersToChangePassword: String(policy.AllowUsersToChangePassword ?? false),
          ExpirePasswords: String(policy.MaxPasswordAge !== undefined),
          MaxPasswordAge: policy.MaxPasswordAge === undefined ? undefined : String(policy.MaxPasswordAge),
          PasswordReusePrevention:
            policy.PasswordReusePrevention === undefined ? undefined : String(policy.PasswordReusePrevention),
          HardExpiry: policy.HardExpiry === undefined ? undefined : String(policy.HardExpiry),
        };
        return `    <PasswordPolicy>\n${tags(6, fields)}    </PasswordPolicy>\n`;
      }
      case "GenerateCredentialReport": {
        const state = account.generateReport();
        const description = state === "STARTED" ? "No report exists. Starting a new report generation task" : undefined;
        return tags(4, { State: state, Description: description });
      }
      case "GetCredentialReport": {
        if (account.report.kind === "generating") account.advanceReport();
        const r = account.report;
        switch (r.kind) {
          case "absent":
            throw new ServiceError(
              410,
              "ReportNotPresent",
              "Credential report does not exist. Use GenerateCredentialReport to generate a report.",
            );
          case "expired":
            throw new ServiceError(
              410,
              "ReportExpired",
              "The credential report has expired. Use GenerateCredentialReport to generate a new report.",
            );
          case "generating":
            throw new ServiceError(
              404,
              "ReportInProgress",
              "Credential report generation is in progress. Try again later.",
            );
          case "complete":
            return tags(4, {
              Content: Buffer.from(r.csv, "utf8").toString("base64"),
              ReportFormat: "text/csv",
              GeneratedTime: xmlTime(r.generatedAt),
            });
        }
        break;
      }
    }
    throw new ServiceError(400, "InvalidAction", `Could not find operation ${action} for version 2010-05-08`);
  }

  private sts(action: string, p: URLSearchParams, caller: Principal): string {
    if (action === "GetCallerIdentity") {
      return tags(4, { Arn: caller.arn, UserId: "AIDAKEYGATETESTUSER01", Account: caller.accountId });
    }
    if (action !== "AssumeRole")
      throw new ServiceError(400, "InvalidAction", `Could not find operation ${action} for version 2011-06-15`);
    const roleArn = p.get("RoleArn") ?? "";
    const sessionName = p.get("RoleSessionName") ?? "";
    const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
    if (!m || !sessionName)
      throw new ServiceError(
        400,
        "ValidationError",
        "1 validation error detected: Value at 'roleArn' failed to satisfy constraint",
      );
    const [, accountId = "", roleName = ""] = m;
    const target = this.accounts.get(accountId);
    if (!target || !target.roles.has(roleName) || this.denied.has(`${accountId}/sts:AssumeRole`)) {
      throw new ServiceError(
        403,
        "AccessDenied",
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const n = String(++this.sessionSerial).padStart(12, "0");
    const creds = {
      accessKeyId: `ASIA${accountId.slice(-4)}${n}`,
      secretAccessKey: `fakeSessionSecret${n}`.padEnd(40, "0"),
      sessionToken: `FakeSessionToken/${accountId}/${n}`,
    };
    const arn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
    this.principals.set(creds.accessKeyId, {
      accountId,
      arn,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      expired: false,
    });
    const duration = Number(p.get("DurationSeconds") ?? "3600");
    const expiration = new Date(this.clock().getTime() + duration * 1000);
    return (
      `    <AssumedRoleUser>\n${tags(6, { AssumedRoleId: `AROAKEYGATETESTROLE:${sessionName}`, Arn: arn })}    </AssumedRoleUser>\n` +
      `    <Credentials>\n${tags(6, { AccessKeyId: creds.accessKeyId, SecretAccessKey: creds.secretAccessKey, SessionToken: creds.sessionToken, Expiration: xmlTime(expiration) })}    </Credentials>\n`
    );
  }

  private async serveJson(
    res: ServerResponse,
    requestId: string,
    action: string,
    body: string,
    auth: ParsedAuth | undefined,
  ): Promise<void> {
    const send = (status: number, payload: unknown): void => {
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": requestId,
      });
      res.end(text);
    };
    try {
      const caller = await this.admit(`organizations:${action}`, auth, "json");
      if (action !== "ListAccounts")
        throw new ServiceError(400, "UnknownOperationException", `Unknown operation ${action}`);
      if (caller.accountId !== MANAGEMENT_ACCOUNT || this.orgAccounts.length === 0) {
        throw new ServiceError(
          400,
          "AWSOrganizationsNotInUseException",
          "Your account is not a member of an organization.",
        );
      }
      let input: { NextToken?: unknown; MaxResults?: unknown };
      try {
        input = (body ? JSON.parse(body) : {}) as typeof input;
      } catch {
        throw new ServiceError(400, "SerializationException", "Start of structure or map found where not expected.");
      }
      const maxResults = input.MaxResults === undefined ? 20 : Number(input.MaxResults);
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 20) {
        throw new ServiceError(
          400,
          "InvalidInputException",
          "You provided a value that does not match the required pattern.",
        );
      }
      const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken as string);
      if (start === null || start > this.orgAccounts.length)
        throw new ServiceError(400, "InvalidInputException", "The NextToken is not valid.");
      const end = Math.min(start + Math.min(maxResults, this.pageCap), this.orgAccounts.length);
      const accounts = this.orgAccounts.slice(start, end).map((a) => {
        const state = a.state ?? "ACTIVE";
        return {
          Id: a.id,
          Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:account/o-keygatetest/${a.id}`,
          Email: `${a.id}@example.com`,
          Name: a.name,
          Status: state === "CLOSED" || state === "PENDING_ACTIVATION" ? "SUSPENDED" : state,
          State: state,
          JoinedMethod: a.id === MANAGEMENT_ACCOUNT ? "INVITED" : "CREATED",
          JoinedTimestamp: 1.6e9,
        };
      });
      send(
        200,
        end < this.orgAccounts.length ? { Accounts: accounts, NextToken: encodeToken(end) } : { Accounts: accounts },
      );
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      send(err.status, { __type: err.code, Message: err.message });
    }
  }

  private paginate<T>(items: T[], p: URLSearchParams, defaultMax: number, limit: number): Page<T> {
    const raw = p.get("MaxItems");
    const max = raw === null ? defaultMax : Number(raw);
    if (!Number.isInteger(max) || max < 1 || max > limit) {
      throw new ServiceError(
        400,
        "ValidationError",
        `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : `less than or equal to ${limit}`}`,
      );
    }
    const marker = p.get("Marker");
    const start = marker === null ? 0 : decodeToken(marker);
    if (start === null || start > items.length) throw new ServiceError(400, "ValidationError", "Invalid Marker.");
    const end = Math.min(start + Math.min(max, this.pageCap), items.length);
    return { items: items.slice(start, end), marker: end < items.length ? encodeToken(end) : undefined };
  }
}

/** Start a fake endpoint on 127.0.0.1 (random port). */
export async function startFakeAws(): Promise<FakeAws> {
  const fake = new FakeAws();
  await fake.listen();
  return fake;
}

interface Page<T> {
  items: T[];
  marker: string | undefined;
}

interface ParsedAuth {
  accessKeyId: string;
  service: string;
}

function parseAuthorization(value: string | undefined): ParsedAuth | undefined {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(value ?? "");
  return m ? { accessKeyId: m[1] ?? "", service: m[2] ?? "" } : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendXml(res: ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(xml),
    "x-amzn-requestid": requestId,
  });
  res.end(xml);
}

function tags(indent: number, fields: Record<string, string | undefined>): string {
  const pad = " ".repeat(indent);
  return Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${pad}<${k}>${esc(v)}</${k}>\n`)
    .join("");
}

function pageTags(page: Page<unknown>): string {
  return page.marker
    ? `    <IsTruncated>true</IsTruncated>\n    <Marker>${page.marker}</Marker>\n`
    : `    <IsTruncated>false</IsTruncated>\n`;
}

function noSuchUser(name: string): ServiceError {
  return new ServiceError(404, "NoSuchEntity", `The user with name ${name} cannot be found.`);
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function encodeToken(index: number): string {
  return Buffer.from(`keygate-fake:${index}`, "utf8").toString("base64");
}

function decodeToken(token: string): number | null {
  const m = /^keygate-fake:(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
  return m ? Number(m[1]) : null;
}

/** A small seeded PRNG, so that throttling by rate is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
