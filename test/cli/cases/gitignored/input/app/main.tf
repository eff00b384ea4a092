data "aws_iam_user" "deploy" {
  user_name = "ci-deploy"
}

resource "aws_iam_access_key" "deploy" {
  user = data.aws_iam_user.deploy.user_name
}
