# Source of test/fixtures/plans/special/errored.json. Planning fails part-way: the
# user is planned, then the key's precondition fails. Since Terraform 1.4 a
# failed `plan -out` still writes the plan file, marked "errored": true, and the
# key is simply missing from it.

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

resource "aws_iam_user" "ops" {
  name = "ops-bot"
  path = "/people/"
}

resource "aws_iam_access_key" "ops" {
  user = aws_iam_user.ops.name

  lifecycle {
    precondition {
      condition     = startswith(aws_iam_user.ops.path, "/service/")
      error_message = "Access keys are only issued to service users (path /service/)."
    }
  }
}
