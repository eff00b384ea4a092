terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "user_name" {
  description = "IAM user that gets the access key."
  type        = string
}

variable "secret_name" {
  description = "Secrets Manager secret that stores the key pair."
  type        = string
}

resource "aws_iam_access_key" "this" { # expect: KG001
  user = var.user_name
}

resource "aws_secretsmanager_secret" "this" {
  name                    = var.secret_name
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode({
    aws_access_key_id     = aws_iam_access_key.this.id
    aws_secret_access_key = aws_iam_access_key.this.secret
  })
}

output "access_key_id" {
  value = aws_iam_access_key.this.id
}

output "secret_arn" {
  value = aws_secretsmanager_secret.this.arn
}
