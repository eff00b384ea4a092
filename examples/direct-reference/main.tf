# A deploy user for the CI system, set up in one change: console access for
# break-glass debugging plus an access key for the pipeline. This is exactly the
# population CIS AWS Foundations names: a user with a console password that
# gets an access key during its initial setup.

resource "aws_iam_user" "deploy" {
  name = "ci-deploy"
  path = "/service/"

  tags = {
    Team  = "platform"
    Owner = "platform@example.com"
  }
}

resource "aws_iam_user_login_profile" "deploy" {
  user                    = aws_iam_user.deploy.name
  password_length         = 24
  password_reset_required = true
}

resource "aws_iam_access_key" "deploy" { # expect: KG001
  user = aws_iam_user.deploy.name
}

resource "aws_iam_user_policy_attachment" "deploy_ecr" {
  user       = aws_iam_user.deploy.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
}
