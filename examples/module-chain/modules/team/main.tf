terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "team" {
  description = "The team the bot works for."
  type        = string
}

variable "settings" {
  description = "How the team's bot is set up."
  type = object({
    create_key = optional(bool, true)
  })
  default = {}
}

module "bot" {
  source = "../bot"

  user_name  = format("%s-bot", lower(var.team))
  create_key = var.settings.create_key
}

output "bot_user" {
  value = module.bot.user_name
}
