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

# Rotating the key of a user that was set up months ago, in another change. The
# user is looked up, not created, so this key is not part of an initial setup.
# (Planning this needs an account where the user exists.)

variable "existing_user_name" {
  type    = string
  default = "legacy-etl"
}

data "aws_iam_user" "legacy_etl" {
  user_name = var.existing_user_name
}

resource "aws_iam_access_key" "legacy_etl_2025" {
  user = data.aws_iam_user.legacy_etl.user_name
}

output "legacy_etl_access_key_id" {
  value = aws_iam_access_key.legacy_etl_2025.id
}

output "legacy_etl_secret_access_key" {
  value     = aws_iam_access_key.legacy_etl_2025.secret
  sensitive = true
}
