output "deploy_user_arn" {
  value = aws_iam_user.deploy.arn
}

output "deploy_access_key_id" {
  value = aws_iam_access_key.deploy.id
}

output "deploy_secret_access_key" {
  value     = aws_iam_access_key.deploy.secret
  sensitive = true
}

output "deploy_initial_password" {
  value     = aws_iam_user_login_profile.deploy.password
  sensitive = true
}
