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
  region = var.region
}

variable "region" {
  type    = string
  default = "ap-southeast-2"
}

variable "user_name" {
  description = "IAM user for the on-premises backup agent."
  type        = string
  default     = "backup-agent"
}

resource "aws_iam_user" "backup" {
  name = var.user_name
  path = "/backup/"

  tags = {
    Purpose = "on-prem backups to S3"
  }
}

resource "aws_iam_user_policy_attachment" "backup" {
  user       = aws_iam_user.backup.name
  policy_arn = "arn:aws:iam::aws:policy/AWSBackupFullAccess"
}

resource "aws_iam_access_key" "backup" { # expect: KG001
  user = var.user_name
}

output "backup_access_key_id" {
  value = aws_iam_access_key.backup.id
}

output "backup_secret_access_key" {
  value     = aws_iam_access_key.backup.secret
  sensitive = true
}
