#!/usr/bin/env node
// A loopback stand-in for the one IAM call the fixtures need: GetUser, which
// the AWS provider makes to read `data "aws_iam_user"` at plan time. Every
// machine that generates fixtures is offline, so without it the `existing-user`
// example cannot be planned. Any other action is answered with an error, so a
// fixture that starts to depend on more of IAM fails loudly instead of quietly.
//
// Usage: node iam-stub.mjs PORT   (listens on 127.0.0.1 only; stops on SIGTERM)

import { createServer } from "node:http";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node iam-stub.mjs PORT");
  process.exit(2);
}

// Fixed values keep the generated plans byte-stable across runs.
const ACCOUNT_ID = "123456789012";
const CREATED = "2021-03-04T09:15:00Z";

function xml(res, status, body) {
  res.writeHead(status, { "content-type": "text/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`);
}

function escapeXml(text) {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const server = createServer((req, res) => {
  let raw = "";
  req.on("data", (chunk) => (raw += chunk));
  req.on("end", () => {
    const params = new URLSearchParams(raw);
    const action = params.get("Action");
    console.error(`iam-stub: ${req.method} ${action ?? "(no action)"}`);
    if (action !== "GetUser" || !params.get("UserName")) {
      xml(
        res,
        400,
        `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>` +
          `<Code>InvalidAction</Code><Message>iam-stub only answers GetUser with a UserName, not ${escapeXml(
            String(action),
          )}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
      );
      return;
    }
    const name = escapeXml(params.get("UserName"));
    const userId = `AIDA${name
      .replace(/[^A-Za-z0-9]/g, "")
      .toUpperCase()
      .padEnd(17, "0")
      .slice(0, 17)}`;
    xml(
      res,
      200,
      `<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetUserResult>
    <User>
      <Path>/service/</Path>
      <UserName>${name}</UserName>
      <UserId>${userId}</UserId>
      <Arn>arn:aws:iam::${ACCOUNT_ID}:user/service/${name}</Arn>
      <CreateDate>${CREATED}</CreateDate>
    </User>
  </GetUserResult>
  <ResponseMetadata>
    <RequestId>00000000-0000-0000-0000-000000000001</RequestId>
  </ResponseMetadata>
</GetUserResponse>`,
    );
  });
});

server.listen(port, "127.0.0.1", () => console.error(`iam-stub: listening on 127.0.0.1:${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));
