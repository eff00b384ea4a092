resource "aws_iam_user" "a" {
  name = "a"
}

# keygate:ignore KG001
resource "aws_iam_access_key" "a" {
  user = aws_iam_user.a.name
}

resource "aws_iam_user" "b" {
  name = "b"
}

/* keygate:ignore KG001 until=2026-01-31 -- migration window */
resource "aws_iam_access_key" "b" {
  user = aws_iam_user.b.name
}

# keygate:ignore KG999 -- typo in the rule id
resource "aws_iam_user" "c" {
  name = "c"
}

# keygate:ignore KG001 -- a comment that is not directly above a block

resource "aws_iam_group" "g" {
  name = "g"
}
