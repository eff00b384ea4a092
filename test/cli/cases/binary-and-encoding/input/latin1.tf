resource "aws_iam_user" "u" {
  name = "café"
}
