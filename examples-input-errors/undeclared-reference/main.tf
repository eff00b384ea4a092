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

# local.user_keys is declared nowhere: Terraform rejects this configuration
# (`terraform validate`: "Reference to undeclared local value"), so keygate cannot
# judge the keys and says so (exit 2) instead of passing them silently. Not
# planned: Terraform refuses it. The key is still reported: undecided, it counts
# as created (fail closed).
locals {
  operators = toset(["ops-alice", "ops-bob"])
}

resource "aws_iam_user" "operator" {
  for_each = local.operators
  name     = each.key
}

resource "aws_iam_access_key" "operator" { # expect: KG001
  for_each = local.user_keys # expect: input-error
  user     = aws_iam_user.operator[each.key].name
}

# The rest of the configuration is still judged.
resource "aws_iam_user" "auditor" {
  name = "auditor"
}

resource "aws_iam_access_key" "auditor" { # expect: KG001
  user = aws_iam_user.auditor.name
}
