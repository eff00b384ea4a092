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
  region = "eu-central-1"
}

variable "create_publisher_key" {
  description = "Whether the publisher user gets an access key (terraform.tfvars turns it on)."
  type        = bool
  default     = false
}

variable "legacy" {
  description = "Settings of the legacy sync user."
  type = object({
    create_key = optional(bool, false)
    path       = optional(string, "/legacy/")
  })
  default = {}
}

resource "aws_iam_user" "publisher" {
  name = "docs-publisher"
  path = "/ci/"
}

# count = 1: terraform.tfvars sets create_publisher_key = true.
resource "aws_iam_access_key" "publisher" { # expect: KG001
  count = var.create_publisher_key ? 1 : 0
  user  = aws_iam_user.publisher.name
}

resource "aws_iam_user" "legacy" {
  name = "legacy-sync"
  path = var.legacy.path
}

# count = 0: the object type fills in create_key = false, so try() never falls back to true.
resource "aws_iam_access_key" "legacy" {
  count = try(var.legacy.create_key, true) ? 1 : 0
  user  = aws_iam_user.legacy.name
}
