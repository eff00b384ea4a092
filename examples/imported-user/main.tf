terraform {
  required_version = ">= 1.7.0"

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

# A batch user created by hand years ago is brought under Terraform with an
# import block (Terraform 1.5+, OpenTofu 1.6+). It is not being set up: it
# exists, and the plan adopts it (no-op, importing). Its new key is the
# separate, later step CIS asks for. (Planning this needs an account where the
# users exist.)
import {
  to = aws_iam_user.legacy_batch
  id = "legacy-batch"
}

resource "aws_iam_user" "legacy_batch" {
  name = "legacy-batch"
  path = "/service/"
}

resource "aws_iam_access_key" "legacy_batch" {
  user = aws_iam_user.legacy_batch.name
}

# Imports with for_each (Terraform 1.7+, OpenTofu 1.7+): every operator is
# adopted, so their keys are not part of an initial setup either.
locals {
  operators = toset(["ops-alice", "ops-bob"])
}

import {
  for_each = local.operators
  to       = aws_iam_user.operator[each.key]
  id       = each.key
}

resource "aws_iam_user" "operator" {
  for_each = local.operators
  name     = each.key
  path     = "/service/"
}

resource "aws_iam_access_key" "operator" {
  for_each = aws_iam_user.operator
  user     = each.value.name
}

# Its successor is created in this change, together with its key: a finding.
resource "aws_iam_user" "batch_v2" {
  name = "batch-v2"
}

resource "aws_iam_access_key" "batch_v2" { # expect: KG001
  user = aws_iam_user.batch_v2.name
}
