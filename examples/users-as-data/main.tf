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

# People are listed in users.yaml; none of them asks for a key, so the key
# block below creates no instance: compliant.
locals {
  people = yamldecode(file("${path.module}/users.yaml")).users
}

resource "aws_iam_user" "person" {
  for_each = { for u in local.people : u.name => u }
  name     = each.key
  path     = "/people/"
}

resource "aws_iam_access_key" "person" {
  for_each = { for u in local.people : u.name => u if u.key }
  user     = aws_iam_user.person[each.key].name
}

# Service accounts come from services.json; the exporter asks for a key, which
# is created together with its user.
locals {
  services = jsondecode(file("${path.module}/services.json"))
}

resource "aws_iam_user" "service" {
  for_each = local.services
  name     = each.key
  path     = "/service/"
}

resource "aws_iam_access_key" "service" { # expect: KG001
  for_each = { for name, s in local.services : name => s if s.key }
  user     = aws_iam_user.service[each.key].name
}
