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

# users.yaml.tftpl refers to `environment`, which the vars below do not give
# (they name it `env`): Terraform refuses the call ("vars map does not contain
# key"), so keygate cannot tell which users ask for a key and says so (exit 2).
# Undecided, the key is still reported: it counts as created (fail closed).
locals {
  users = yamldecode(templatefile("${path.module}/users.yaml.tftpl", { # expect: input-error
    env   = "prod"
    names = ["alice", "ci"]
  })).users
}

resource "aws_iam_user" "user" {
  for_each = { for u in local.users : u.name => u }
  name     = each.key
}

resource "aws_iam_access_key" "user" { # expect: KG001
  for_each = { for u in local.users : u.name => u if u.key }
  user     = aws_iam_user.user[each.key].name
}
