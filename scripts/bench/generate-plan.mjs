// Writes a synthetic plan (the shape of `terraform show -json`, minified as Terraform writes it)
// with N resource changes: mostly unrelated resources, plus IAM users with access keys, some
// created together (findings), some for existing users. Deterministic for a given N.
import { writeFileSync } from "node:fs";

export function generatePlan(n, { pairs = 20 } = {}) {
  const changes = [];
  const configResources = [];
  for (let i = 0; i < n; i++) {
    if (i < pairs * 2) {
      const pair = Math.floor(i / 2);
      if (i % 2 === 0) {
        changes.push(
          change(`aws_iam_user.u${pair}`, "aws_iam_user", `u${pair}`, ["create"], {
            name: `svc-${pair}`,
            path: "/",
            force_destroy: false,
            tags: { Team: "bench" },
          }),
        );
        configResources.push({
          address: `aws_iam_user.u${pair}`,
          mode: "managed",
          type: "aws_iam_user",
          name: `u${pair}`,
          expressions: { name: { constant_value: `svc-${pair}` } },
        });
      } else {
        changes.push(
          change(`aws_iam_access_key.k${pair}`, "aws_iam_access_key", `k${pair}`, ["create"], {
            user: `svc-${pair}`,
            status: "Active",
            pgp_key: null,
          }),
        );
        configResources.push({
          address: `aws_iam_access_key.k${pair}`,
          mode: "managed",
          type: "aws_iam_access_key",
          name: `k${pair}`,
          expressions: { user: { references: [`aws_iam_user.u${pair}.name`, `aws_iam_user.u${pair}`] } },
        });
      }
      continue;
    }
    changes.push(
      change(`aws_s3_bucket.b${i}`, "aws_s3_bucket", `b${i}`, i % 3 === 0 ? ["no-op"] : ["create"], {
        bucket: `bench-bucket-${i}`,
        force_destroy: false,
        tags: { Name: `bucket ${i}`, Environment: "bench", Owner: "platform" },
        object_lock_enabled: false,
      }),
    );
    if (i < 1000)
      configResources.push({
        address: `aws_s3_bucket.b${i}`,
        mode: "managed",
        type: "aws_s3_bucket",
        name: `b${i}`,
        expressions: { bucket: { constant_value: `bench-bucket-${i}` } },
      });
  }
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: {} },
    resource_changes: changes,
    configuration: { root_module: { resources: configResources } },
    timestamp: "2025-01-01T00:00:00Z",
    applyable: true,
    complete: true,
    errored: false,
  };
}

function change(address, type, name, actions, after) {
  return {
    address,
    mode: "managed",
    type,
    name,
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: {
      actions,
      before: actions.includes("create") ? null : after,
      after,
      after_unknown: { id: true, arn: true, tags_all: {} },
      before_sensitive: actions.includes("create") ? false : {},
      after_sensitive: { tags: {}, tags_all: {} },
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100000);
  const out = process.argv[3] ?? `plan-${n}.json`;
  writeFileSync(out, JSON.stringify(generatePlan(n)));
  console.log(`wrote ${out}`);
}
