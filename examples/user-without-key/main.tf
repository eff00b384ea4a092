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

# Onboarding a human user: console access, MFA enforced through the group
# policy, no access keys. Keys, if ever needed, are a separate request.

variable "engineers" {
  type    = set(string)
  default = ["alice.martin", "bob.okafor"]
}

resource "aws_iam_group" "engineers" {
  name = "engineers"
  path = "/people/"
}

resource "aws_iam_group_policy_attachment" "engineers_readonly" {
  group      = aws_iam_group.engineers.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_user" "engineer" {
  for_each = var.engineers

  name = each.key
  path = "/people/"

  tags = {
    Email = "${each.key}@example.com"
  }
}

resource "aws_iam_user_login_profile" "engineer" {
  for_each = aws_iam_user.engineer

  user                    = each.value.name
  password_reset_required = true
}

resource "aws_iam_user_group_membership" "engineer" {
  for_each = aws_iam_user.engineer

  user   = each.value.name
  groups = [aws_iam_group.engineers.name]
}

output "initial_passwords" {
  value     = { for name, profile in aws_iam_user_login_profile.engineer : name => profile.password }
  sensitive = true
}
