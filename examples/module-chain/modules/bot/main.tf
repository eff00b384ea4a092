terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "user_name" {
  description = "Name of the bot's IAM user."
  type        = string
}

variable "create_key" {
  description = "Whether the bot gets an access key."
  type        = bool
}

resource "aws_iam_user" "this" {
  name = var.user_name
  path = "/bots/"
}

resource "aws_iam_access_key" "this" { # expect: KG001
  count = var.create_key ? 1 : 0
  user  = aws_iam_user.this.name
}

output "user_name" {
  value = aws_iam_user.this.name
}
