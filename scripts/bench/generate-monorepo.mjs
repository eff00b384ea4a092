// Generates a deterministic synthetic Terraform monorepo for the benchmark: many root stacks of
// mostly unrelated resources (heredocs, dynamic blocks, .tf.json), shared local modules, and a
// few IAM files among them — `violations` of them with a user and its key together.
//
//   node scripts/bench/generate-monorepo.mjs OUT_DIR [--files 10000] [--violations 20] [--all-iam] [--roots 1000]
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A tiny deterministic PRNG (mulberry32), so that every run writes the same tree. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILES_PER_STACK = 50;
const MODULES = 20;

/**
 * Writes the monorepo. By default, stacks of 50 files in `stacks/teamN/envM`; with `roots`, that
 * many root modules of `files / roots` files each in `envs/stack-NNNN` (the layout of the gate
 * benchmark: many small roots, as in large Terraform monorepos).
 */
export function generateMonorepo(out, { files = 10000, violations = 20, allIam = false, roots = undefined } = {}) {
  rmSync(out, { recursive: true, force: true });
  const rand = random(42);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  let written = 0;
  let bytes = 0;
  const write = (path, text) => {
    mkdirSync(join(out, path, ".."), { recursive: true });
    writeFileSync(join(out, path), text);
    written++;
    bytes += Buffer.byteLength(text);
  };

  for (let m = 0; m < MODULES; m++) {
    write(`modules/svc${m}/main.tf`, moduleMain(m));
    write(
      `modules/svc${m}/variables.tf`,
      `variable "name" {\n  type = string\n}\n\nvariable "tags" {\n  type    = map(string)\n  default = {}\n}\n`,
    );
    write(`modules/svc${m}/outputs.tf`, `output "bucket_arn" {\n  value = aws_s3_bucket.this.arn\n}\n`);
  }
  const perStack = roots ? Math.max(4, Math.floor((files - written) / roots)) : FILES_PER_STACK;
  const stacks = roots ?? Math.max(1, Math.ceil((files - written) / perStack));
  const iamEvery = Math.max(1, Math.floor(stacks / Math.max(1, violations)));
  let violationCount = 0;
  for (let s = 0; s < stacks && written < files; s++) {
    const dir = roots ? `envs/stack-${String(s).padStart(4, "0")}` : `stacks/team${Math.floor(s / 10)}/env${s % 10}`;
    const stackStart = written;
    write(`${dir}/versions.tf`, versions());
    write(
      `${dir}/main.tf`,
      `module "svc" {\n  source = "${roots ? "../.." : "../../.."}/modules/svc${s % MODULES}"\n  name   = "team${s}"\n  tags   = local.tags\n}\n\nlocals {\n  tags = {\n    Stack = "${dir}"\n    Owner = "team${Math.floor(s / 10)}"\n  }\n}\n`,
    );
    if (s % iamEvery === 0 && violationCount < violations) {
      violationCount++;
      write(`${dir}/iam.tf`, iamPair(s));
    } else if (s % 7 === 0 || allIam) {
      write(`${dir}/iam.tf`, iamCompliant(s));
    }
    for (let f = 0; written < files && (roots ? written - stackStart < perStack : f < perStack - 3); f++) {
      if (allIam) write(`${dir}/iam_${f}.tf`, iamCompliant(s * 100 + f));
      else if (f % 10 === 9) write(`${dir}/generated_${f}.tf.json`, jsonResources(s, f, rand));
      else write(`${dir}/${pick(["network", "storage", "compute", "dns", "queues"])}_${f}.tf`, unrelated(s, f, rand));
    }
  }
  return { files: written, bytes, stacks, violations: violationCount };
}

function versions() {
  return `terraform {\n  required_version = ">= 1.5.0"\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "~> 5.0"\n    }\n  }\n}\n\nprovider "aws" {\n  region = "eu-west-1"\n}\n`;
}

function moduleMain(m) {
  return `resource "aws_s3_bucket" "this" {\n  bucket = "\${var.name}-svc${m}"\n  tags   = var.tags\n}\n\nresource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n  versioning_configuration {\n    status = "Enabled"\n  }\n}\n`;
}

function iamPair(s) {
  return `resource "aws_iam_user" "svc" {\n  name = "svc-${s}"\n  path = "/service/"\n}\n\nresource "aws_iam_access_key" "svc" {\n  user = aws_iam_user.svc.name\n}\n`;
}

function iamCompliant(s) {
  // As big as a real IAM file: a human user with a policy, and a key for a user that already exists.
  return `# IAM for stack ${s}: people get console access; machines reuse existing users.

data "aws_iam_user" "existing_${s}" {
  user_name = "legacy-${s}"
}

resource "aws_iam_access_key" "legacy_${s}" {
  user = data.aws_iam_user.existing_${s}.user_name
}

resource "aws_iam_user" "human_${s}" {
  name          = "human-${s}"
  path          = "/people/"
  force_destroy = true
  tags = {
    Team       = "team${s % 20}"
    CostCenter = "cc-${1000 + (s % 37)}"
    ManagedBy  = "terraform"
  }
}

resource "aws_iam_user_policy" "human_${s}" {
  name   = "read-only-${s}"
  user   = aws_iam_user.human_${s}.name
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::bucket-${s}", "arn:aws:s3:::bucket-${s}/*"] },
    { "Effect": "Allow", "Action": ["logs:GetLogEvents", "logs:DescribeLogStreams"], "Resource": "*" }
  ]
}
POLICY
}
`;
}

function unrelated(s, f, rand) {
  const n = 3 + Math.floor(rand() * 3);
  let out = `# Stack ${s}, file ${f}: resources unrelated to IAM keys.\n\n`;
  for (let i = 0; i < n; i++) {
    const name = `r${f}_${i}`;
    switch (Math.floor(rand() * 4)) {
      case 0:
        out += `resource "aws_security_group" "${name}" {\n  name        = "sg-${s}-${name}"\n  description = "Managed by Terraform"\n  vpc_id      = var.vpc_id_${s % 3}\n\n  dynamic "ingress" {\n    for_each = [80, 443, 8080]\n    content {\n      from_port   = ingress.value\n      to_port     = ingress.value\n      protocol    = "tcp"\n      cidr_blocks = ["10.0.0.0/8"]\n    }\n  }\n}\n\n`;
        break;
      case 1:
        out += `resource "aws_iam_policy" "${name}" {\n  name   = "policy-${s}-${name}"\n  policy = <<EOF\n{\n  "Version": "2012-10-17",\n  "Statement": [{ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*" }]\n}\nEOF\n}\n\n`;
        break;
      case 2:
        out += `resource "aws_sqs_queue" "${name}" {\n  name                      = "queue-${s}-${name}"\n  delay_seconds             = 90\n  max_message_size          = 2048\n  message_retention_seconds = 86400\n  receive_wait_time_seconds = 10\n  tags = {\n    Environment = "env${s % 10}"\n  }\n}\n\n`;
        break;
      default:
        out += `resource "aws_route53_record" "${name}" {\n  zone_id = "Z${String(s).padStart(6, "0")}"\n  name    = "${name}.example.com"\n  type    = "CNAME"\n  ttl     = 300\n  records = ["lb-${s}.example.com"]\n}\n\n`;
    }
  }
  return out + (f === 0 ? `variable "vpc_id_${s % 3}" {\n  type    = string\n  default = "vpc-${s}"\n}\n` : "");
}

function jsonResources(s, f, rand) {
  const resources = {};
  for (let i = 0; i < 3; i++) {
    resources[`gen_${f}_${i}`] = {
      name: `/stack${s}/param${f}_${i}`,
      type: "String",
      value: `\${local.tags["Stack"]}-${Math.floor(rand() * 1000)}`,
    };
  }
  return `${JSON.stringify({ resource: { aws_ssm_parameter: resources } }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const out = args[0] ?? "bench-monorepo";
  const num = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
  const result = generateMonorepo(out, {
    files: num("--files", 10000),
    violations: num("--violations", 20),
    allIam: args.includes("--all-iam"),
    roots: args.includes("--roots") ? num("--roots", 1000) : undefined,
  });
  console.log(JSON.stringify({ out, ...result }));
}
