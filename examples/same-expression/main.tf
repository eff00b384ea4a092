# Users named after the workspace (one deployer per workspace, two batch users),
# and keys whose `user` repeats the users' name expression, spelt differently.
# keygate cannot know the workspace, but it sees that each key's `user` is the
# very same expression as a user's `name`: spacing, comments, line breaks,
# redundant parentheses and "${…}" around it do not matter.

locals {
  names = ["${terraform.workspace}-batch-a", "${terraform.workspace}-batch-b"]
}

resource "aws_iam_user" "batch" {
  count = 2

  name = "${element(local.names, count.index)}"
  path = "/batch/"
}

resource "aws_iam_access_key" "batch" { # expect: KG001
  count = 2

  user = element(local.names,count.index)
}

resource "aws_iam_user" "deployer" {
  name = format("%s-deployer", terraform.workspace)
}

resource "aws_iam_access_key" "deployer" { # expect: KG001
  user = (format( "%s-deployer" , # one deployer per workspace
    terraform.workspace
  ))
}

# A different operand is a different user: no finding for this key.
resource "aws_iam_access_key" "auditor" {
  user = format("%s-auditor", terraform.workspace)
}
