terraform {
  required_version = ">= 1.5.0"

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

# Keys are declared next to their users but switched off: they are issued in a
# later, separate change (see the access-key runbook).

resource "aws_iam_user" "deploy" {
  name = "app-deploy"
  path = "/service/"
}

resource "aws_iam_access_key" "deploy" {
  count = 0

  user = aws_iam_user.deploy.name
}

locals {
  workers = toset(["ingest", "export"])
}

resource "aws_iam_user" "worker" {
  for_each = local.workers

  name = "worker-${each.key}"
  path = "/service/"
}

resource "aws_iam_access_key" "worker" {
  for_each = toset([])

  user = aws_iam_user.worker[each.key].name
}

resource "aws_iam_access_key" "worker_legacy" {
  for_each = {}

  user = aws_iam_user.worker[each.key].name
}
