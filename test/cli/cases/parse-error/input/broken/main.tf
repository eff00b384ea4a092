resource "aws_iam_user" "broken" {
  name = 
}
