variable "enable_canary" {
  description = "Create the canary deployer used by the progressive-delivery pipeline."
  type        = bool
  default     = true
}
