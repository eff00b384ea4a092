terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "name" {
  description = "Name of the IAM user."
  type        = string
}

variable "path" {
  description = "Path of the IAM user."
  type        = string
  default     = "/service/"
}

variable "policy_arns" {
  description = "Managed policies to attach to the user."
  type        = list(string)
  default     = []
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_iam_user" "this" {
  name          = var.name
  path          = var.path
  force_destroy = true
  tags          = var.tags
}

resource "aws_iam_user_policy_attachment" "this" {
  count = length(var.policy_arns)

  user       = aws_iam_user.this.name
  policy_arn = var.policy_arns[count.index]
}

output "user_name" {
  value = aws_iam_user.this.name
}

output "user_arn" {
  value = aws_iam_user.this.arn
}
