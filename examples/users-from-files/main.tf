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

# One YAML file per team under teams/, found with fileset ("**" reaches
# teams/data/ too; teams/README.md is not a team). Nobody in a team asks for a
# key, so the key block below creates no instance: compliant.
locals {
  team_files = fileset("${path.module}/teams", "**/*.yaml")
  people     = flatten([for f in local.team_files : yamldecode(file("${path.module}/teams/${f}")).members])
}

resource "aws_iam_user" "person" {
  for_each = { for p in local.people : p.name => p }
  name     = each.key
  path     = "/people/"
}

resource "aws_iam_access_key" "person" {
  for_each = { for p in local.people : p.name => p if p.key }
  user     = aws_iam_user.person[each.key].name
}

# Service users are rendered from a template for this environment
# (templatefile, with only the vars given here in scope) and decoded: the
# exporter asks for a key, which is created together with its user.
locals {
  environment = "staging"
  services = yamldecode(templatefile("${path.module}/services.yaml.tftpl", {
    env      = local.environment
    names    = ["exporter", "backup"]
    with_key = ["exporter"]
  })).services
}

resource "aws_iam_user" "service" {
  for_each = { for s in local.services : s.name => s }
  name     = each.key
  path     = "/service/"
}

resource "aws_iam_access_key" "service" { # expect: KG001
  for_each = { for s in local.services : s.name => s if s.key }
  user     = aws_iam_user.service[each.key].name
}
