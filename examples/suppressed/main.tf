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
  region = "us-east-1"
}

# The vendor's sync agent only accepts a key pair during onboarding; security
# approved the exception.
resource "aws_iam_user" "vendor_sync" {
  name = "vendor-sync"
  path = "/vendor/"

  tags = {
    Vendor    = "acme-crm"
    Exception = "SEC-142"
  }
}

# keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142
resource "aws_iam_access_key" "vendor_sync" { # expect: KG001 suppressed
  user = aws_iam_user.vendor_sync.name
}

# The legacy SFTP bridge is retired with the data-centre exit; until then it
# keeps its day-one key.
resource "aws_iam_user" "sftp_bridge" {
  name = "sftp-bridge"
  path = "/legacy/"
}

# keygate:ignore KG001 until=2099-12-31 -- SFTP bridge until the data-centre exit, SEC-157
resource "aws_iam_access_key" "sftp_bridge" { # expect: KG001 suppressed
  user = aws_iam_user.sftp_bridge.name
}

output "vendor_sync_secret_access_key" {
  value     = aws_iam_access_key.vendor_sync.secret
  sensitive = true
}

output "sftp_bridge_secret_access_key" {
  value     = aws_iam_access_key.sftp_bridge.secret
  sensitive = true
}
