resource "aws_iam_access_key" "deploy" {
  user = aws_iam_user.deploy.name
}
