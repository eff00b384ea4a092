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

# The jenkins user was created by hand years ago and is not managed here; this
# stack only issues its new key. The auditor user below is unrelated.

resource "aws_iam_access_key" "jenkins" {
  user = "jenkins-legacy"
}

resource "aws_iam_user" "auditor" {
  name = "external-auditor"
  path = "/people/"
}

resource "aws_iam_user_login_profile" "auditor" {
  user                    = aws_iam_user.auditor.name
  password_reset_required = true
}

resource "aws_iam_user_policy_attachment" "auditor" {
  user       = aws_iam_user.auditor.name
  policy_arn = "arn:aws:iam::aws:policy/SecurityAudit"
}

output "jenkins_access_key_id" {
  value = aws_iam_access_key.jenkins.id
}

output "jenkins_secret_access_key" {
  value     = aws_iam_access_key.jenkins.secret
  sensitive = true
}

output "auditor_initial_password" {
  value     = aws_iam_user_login_profile.auditor.password
  sensitive = true
}
