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
  region = "us-west-2"
}

locals {
  environment  = "staging"
  service_user = "etl-loader"

  common_tags = {
    Environment = local.environment
    Service     = "etl"
  }
}

resource "aws_iam_user" "etl" {
  name = local.service_user
  path = "/etl/"
  tags = local.common_tags
}

resource "aws_iam_user_policy_attachment" "etl_s3" {
  user       = aws_iam_user.etl.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}

resource "aws_iam_access_key" "etl" { # expect: KG001
  user = local.service_user
}

output "etl_secret_access_key" {
  value     = aws_iam_access_key.etl.secret
  sensitive = true
}
