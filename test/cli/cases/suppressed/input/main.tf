resource "aws_iam_user" "vendor" {
  name = "vendor-sync"
}

// keygate:ignore access-key-created-with-user until=2027-03-31 -- vendor onboarding needs a key, SEC-142
resource "aws_iam_access_key" "vendor" {
  user = aws_iam_user.vendor.name
}
