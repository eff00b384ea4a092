# override.tf: the deploy key now belongs to the deploy user created in
# main.tf, and the batch key is issued. The finding is reported at the
# argument that decided it: the `user` set here.
resource "aws_iam_access_key" "deploy" {
  user = aws_iam_user.deploy.name # expect: KG001
}

locals {
  issue_batch_key = true
}
