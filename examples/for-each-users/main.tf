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
  region = "eu-central-1"
}

variable "bots" {
  description = "Chat-ops bots that each need their own IAM identity."
  type        = set(string)
  default     = ["alerts", "deploys", "standup"]
}

resource "aws_iam_group" "bots" {
  name = "chatops-bots"
  path = "/bots/"
}

resource "aws_iam_user" "bots" {
  for_each = var.bots

  name = "chatops-${each.key}"
  path = "/bots/"

  tags = {
    Bot = each.key
  }
}

resource "aws_iam_user_group_membership" "bots" {
  for_each = aws_iam_user.bots

  user   = each.value.name
  groups = [aws_iam_group.bots.name]
}

resource "aws_iam_access_key" "bots" { # expect: KG001
  for_each = aws_iam_user.bots

  user = each.value.name
}

output "bot_access_key_ids" {
  value = { for bot, key in aws_iam_access_key.bots : bot => key.id }
}

output "bot_secret_access_keys" {
  value     = { for bot, key in aws_iam_access_key.bots : bot => key.secret }
  sensitive = true
}
