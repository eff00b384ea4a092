# An override file (Terraform merges *_override.tf into the blocks it names,
# argument by argument): the CI key is not created in this environment.
resource "aws_iam_access_key" "ci" {
  count = 0
}
