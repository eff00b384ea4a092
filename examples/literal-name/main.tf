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
  region = "eu-west-2"
}

resource "aws_iam_user" "reporting" {
  name = "reporting-bot"
  path = "/analytics/"

  tags = {
    CostCenter = "bi-1234"
  }
}

resource "aws_iam_user_policy" "reporting" {
  name = "read-athena-results"
  user = aws_iam_user.reporting.name

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::example-athena-results", "arn:aws:s3:::example-athena-results/*"]
      },
    ]
  })
}

# The BI tool's connector form wants a key pair, so the key was added in the same
# change, with the user name typed out again.
resource "aws_iam_access_key" "reporting" { # expect: KG001
  user = "reporting-bot"
}

output "reporting_access_key_id" {
  value = aws_iam_access_key.reporting.id
}

output "reporting_secret_access_key" {
  value     = aws_iam_access_key.reporting.secret
  sensitive = true
}
