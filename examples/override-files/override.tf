# override.tf: the deploy key now belongs to the deploy user created in
# main.tf, and the batch key is issued.
resource "aws_iam_access_key" "deploy" { # expect: KG001
  user = aws_iam_user.deploy.name
}

locals {
  issue_batch_key = true
}
