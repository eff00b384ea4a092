resource "aws_iam_user" "deploy" {
  name = "ci-deploy"
  path = "/automation/"
}

resource "aws_iam_user_login_profile" "deploy" {
  user = aws_iam_user.deploy.name
}
