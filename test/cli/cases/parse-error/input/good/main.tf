resource "aws_iam_user" "ops" {
  name = "ops"
}

resource "aws_iam_access_key" "ops" {
  user = aws_iam_user.ops.name
}
