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

# The team's standard module creates the user; the stack adds a key for it.
module "metrics_shipper" {
  source = "./modules/iam-user"

  name        = "metrics-shipper"
  policy_arns = ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]

  tags = {
    Team = "observability"
  }
}

resource "aws_iam_access_key" "metrics_shipper" { # expect: KG001
  user = module.metrics_shipper.user_name
}

output "metrics_shipper_access_key_id" {
  value = aws_iam_access_key.metrics_shipper.id
}

output "metrics_shipper_secret_access_key" {
  value     = aws_iam_access_key.metrics_shipper.secret
  sensitive = true
}
