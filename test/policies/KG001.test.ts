import { hcl, policyTester } from "../support/policy-tester.js";

/**
 * KG001 (access-key-created-with-user) in the policy tester's words: configurations that pass and
 * configurations that fail, each as it would be written. The linking routes in all their forms are
 * in test/model/links.test.ts; runnable projects with `# expect:` markers are in examples/.
 */
policyTester("KG001").run("an IAM user and an access key for it in one configuration", {
  valid: [
    {
      name: "a user without a key",
      code: hcl`
        resource "aws_iam_user" "deploy" {
          name = "deploy-bot"
        }
      `,
    },
    {
      name: "a key for an existing user, read with a data source",
      code: hcl`
        data "aws_iam_user" "deploy" {
          user_name = "deploy-bot"
        }

        resource "aws_iam_access_key" "deploy" {
          user = data.aws_iam_user.deploy.user_name
        }
      `,
    },
    {
      name: "a key for a user this configuration does not declare",
      code: hcl`
        resource "aws_iam_user" "ops" {
          name = "ops-bot"
        }

        resource "aws_iam_access_key" "legacy" {
          user = "legacy-bot"
        }
      `,
    },
  ],
  invalid: [
    {
      name: "the key references the user",
      code: hcl`
        resource "aws_iam_user" "deploy" {
          name = "deploy-bot"
        }

        resource "aws_iam_access_key" "deploy" {
          user = aws_iam_user.deploy.name
        }
      `,
      findings: [
        {
          resource: "aws_iam_access_key.deploy",
          line: 5,
          column: 1,
          severity: "error",
          message: "aws_iam_user.deploy",
        },
      ],
    },
    {
      name: "the key names the user by the same literal name",
      code: hcl`
        resource "aws_iam_user" "deploy" {
          name = "deploy-bot"
        }

        resource "aws_iam_access_key" "deploy" {
          user = "deploy-bot"
        }
      `,
      findings: [{ resource: "aws_iam_access_key.deploy", line: 5 }],
    },
    {
      name: "user and key in two files of one module",
      files: {
        "users.tf": hcl`
          resource "aws_iam_user" "ci" {
            name = "ci"
          }
        `,
        "keys.tf": hcl`
          # The CI user's key, made with it.
          resource "aws_iam_access_key" "ci" {
            user = aws_iam_user.ci.name
          }
        `,
      },
      findings: [{ resource: "aws_iam_access_key.ci", file: "keys.tf", line: 2 }],
    },
    {
      name: "a suppressed pair is still a finding, marked suppressed",
      code: hcl`
        resource "aws_iam_user" "vendor" {
          name = "vendor-sync"
        }

        # keygate:ignore KG001 -- the vendor's sync needs a key at creation, approved in SEC-142
        resource "aws_iam_access_key" "vendor" {
          user = aws_iam_user.vendor.name
        }
      `,
      findings: [{ resource: "aws_iam_access_key.vendor", line: 6, suppressed: true }],
    },
  ],
});
