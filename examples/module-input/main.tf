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
  region = "us-east-2"
}

resource "aws_iam_user" "ingest" {
  name = "log-ingest"
  path = "/service/"

  tags = {
    Team = "security-engineering"
  }
}

resource "aws_iam_user_policy_attachment" "ingest" {
  user       = aws_iam_user.ingest.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonKinesisFirehoseFullAccess"
}

# The credentials module issues a key and stores it in Secrets Manager.
module "ingest_credentials" {
  source = "./modules/access-key"

  user_name   = aws_iam_user.ingest.name
  secret_name = "log-ingest/aws-credentials"
}

output "ingest_credentials_secret_arn" {
  value = module.ingest_credentials.secret_arn
}
