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
  region = "us-west-2"
}

# One bot per team, two local modules down; the bot's key is on by the team module's default.
module "teams" {
  source   = "./modules/team"
  for_each = toset(["payments", "search"])

  team = each.key
}

# The same module with the key turned off.
module "auditors" {
  source = "./modules/team"

  team     = "audit"
  settings = { create_key = false }
}
