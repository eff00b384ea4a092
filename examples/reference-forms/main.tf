# Four ways teams point a key at the user declared next to it. Every key here
# is created together with its user.

locals {
  pipelines = toset(["ci", "cd"])
  runners   = toset(["linux", "windows"])
}

# `.id` instead of `.name`: for aws_iam_user both are the user name.
resource "aws_iam_user" "release" {
  name = "release-bot"
  path = "/automation/"
}

resource "aws_iam_access_key" "release" { # expect: KG001
  user = aws_iam_user.release.id
}

# A user behind a feature flag, referenced by index.
resource "aws_iam_user" "canary" {
  count = var.enable_canary ? 1 : 0

  name = "canary-deployer"
  path = "/automation/"
}

resource "aws_iam_access_key" "canary" { # expect: KG001
  count = var.enable_canary ? 1 : 0

  user = aws_iam_user.canary[0].name
}

# One user per pipeline; the CI key is issued explicitly by its map key.
resource "aws_iam_user" "pipeline" {
  for_each = local.pipelines

  name = "pipeline-${each.key}"
  path = "/automation/"
}

resource "aws_iam_access_key" "pipeline_ci" { # expect: KG001
  user = aws_iam_user.pipeline["ci"].name
}

# One user per build runner, and a key per runner over the same collection.
resource "aws_iam_user" "runner" {
  for_each = local.runners

  name = "build-runner-${each.key}"
  path = "/automation/"
}

resource "aws_iam_access_key" "runner" { # expect: KG001
  for_each = local.runners

  user = aws_iam_user.runner[each.key].name
}
