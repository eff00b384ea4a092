terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

locals {
  issue_batch_key = false
}

# The CI user's key is switched off in this environment by ci_override.tf
# (count = 0): no key is created, nothing to report.
resource "aws_iam_user" "ci" {
  name = "ci-runner"
  path = "/service/"
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

# As written here, the deploy key belongs to a user managed elsewhere; but
# override.tf points it at the deploy user created just above it. The override
# decides, so the finding is reported at the override's `user` argument.
resource "aws_iam_user" "deploy" {
  name = "deployer"
  path = "/service/"
}

resource "aws_iam_access_key" "deploy" {
  user = "legacy-deployer"
}

# The batch key is off here (local.issue_batch_key = false), but override.tf
# sets the local value to true: the key is created with its user.
resource "aws_iam_user" "batch" {
  name = "batch"
  path = "/service/"
}

resource "aws_iam_access_key" "batch" { # expect: KG001
  count = local.issue_batch_key ? 1 : 0
  user  = aws_iam_user.batch.name
}
