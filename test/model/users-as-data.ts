// Users kept in a data file, shared by the tests of files as data (unit) and of their changes (e2e).

/** A configuration with users listed by \`expression\` (a data file read), keys for those that ask for one. */
export const USERS_FROM = (expression: string) =>
  `locals {\n  users = ${expression}\n}\nresource "aws_iam_user" "u" {\n  for_each = { for u in local.users : u.name => u }\n  name     = each.key\n}\nresource "aws_iam_access_key" "k" {\n  for_each = { for u in local.users : u.name => u if u.key }\n  user     = aws_iam_user.u[each.key].name\n}\n`;

/** The YAML data file listing users and whether each asks for a key. */
export const YAML = (users: [string, boolean][]) =>
  `users:\n${users.map(([name, key]) => `  - name: ${name}\n    key: ${key}\n`).join("")}`;
