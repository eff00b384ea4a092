#!/usr/bin/env bash
# Regenerate keygate's plan fixtures: real `terraform show -json` output, made
# offline by the Terraform CLI and the hashicorp/aws provider on this machine.
#
# Usage:   scripts/plan-fixtures/generate.sh        (from any directory)
#          scripts/plan-fixtures/generate.sh NAME...  only these example folders
#                   and scenarios (e.g. a new one), leaving every other fixture
#                   and the special inputs as they are
# Needs:   terraform (1.11.4 made the committed files), a local mirror of
#          hashicorp/aws, node; jq if present (otherwise node pretty-prints).
#          Installs nothing and reaches no network: the only AWS call a plan
#          makes (IAM GetUser, for `data "aws_iam_user"` and imported users) goes to iam-stub.mjs on
#          127.0.0.1.
# Writes (under test/fixtures/plans/, replacing what was there):
#   examples/<folder>.json        every folder of examples/ except ci/, empty state
#   input-errors/<folder>.json    `terraform validate -json` of every folder of
#                                 examples-input-errors/ (Terraform refuses them:
#                                 no plan; this says where)
#   scenarios/<name>/plan.json    that folder's configuration, its terraform.tfstate
#                                 if any, and `-replace` for each address in the
#                                 "replace" list of its case.json
#   special/state.json            `terraform show -json` of a state file (not a plan)
#   special/tfplan.bin            the binary plan file (a zip) of examples/literal-name
#   special/errored.json          a plan saved after planning failed part-way, from
#                                 scripts/plan-fixtures/errored/ ("errored": true)
#   special/format-<v>.json       examples/direct-reference.json rewritten by
#                                 downgrade.mjs for formats 0.1, 0.2, 1.0, 1.1 and
#                                 the unknown 2.0
# Then it runs verify.mjs, which checks every fixture against its expectations.
#
# How one case is planned: the configuration is copied to a temporary directory
# (`.tofu` files renamed to `.tf`, which is how OpenTofu would read them), an
# override file zz_fixture_provider_override.tf gives the aws provider fake
# credentials and a region and turns off the checks that would call AWS, and
#   terraform init -backend=false -plugin-dir=MIRROR -input=false
#   terraform plan -refresh=false -input=false -out=tfplan [-replace=ADDR ...]
#   terraform show -json tfplan | jq -S .
#
# The output is Terraform's, with three changes so that re-running gives
# identical files: object keys are sorted, "relevant_attributes" (which Terraform
# lists in no stable order) is sorted by resource and attribute, and the plan's
# "timestamp" is pinned to 2025-01-01T00:00:00Z (KEEP_TIMESTAMPS=1 keeps the real
# one). tfplan.bin is copied as Terraform wrote it and so differs on every run.
#
# The fake credentials (AKIAFIXTUREFIXTURE00 / fixture) do appear in every plan,
# in configuration.provider_config.aws.expressions: Terraform records provider
# arguments written as literals. Real plans carry real keys there the same way.
#
# Environment:
#   TF_PLUGIN_MIRROR   the folder that contains registry.terraform.io (found with
#                      `find / -maxdepth 5` when unset)
#   IAM_STUB_PORT      loopback port for iam-stub.mjs (default 45123; the port is
#                      part of examples/existing-user.json)
#   KEEP_TIMESTAMPS=1  see above

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixtures=$repo/test/fixtures/plans

readonly PINNED_TIMESTAMP=2025-01-01T00:00:00Z
readonly FAKE_ACCESS_KEY=AKIAFIXTUREFIXTURE00
readonly FAKE_SECRET_KEY=fixture
readonly FIXTURE_REGION=eu-west-1
stub_port=${IAM_STUB_PORT:-45123}

log() { echo "generate.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

command -v terraform >/dev/null || die "terraform is not on PATH"
command -v node >/dev/null || die "node is not on PATH (iam-stub.mjs, downgrade.mjs and verify.mjs need it)"

find_mirror() {
  if [[ -n ${TF_PLUGIN_MIRROR:-} ]]; then
    [[ -d $TF_PLUGIN_MIRROR/registry.terraform.io/hashicorp/aws ]] ||
      die "TF_PLUGIN_MIRROR=$TF_PLUGIN_MIRROR has no registry.terraform.io/hashicorp/aws"
    echo "$TF_PLUGIN_MIRROR"
    return
  fi
  local aws
  aws=$(find / -maxdepth 5 -path '*registry.terraform.io/hashicorp/aws' -not -path '*/.terraform/*' 2>/dev/null | head -n 1 || true)
  [[ -n $aws ]] || die "no local mirror of hashicorp/aws; set TF_PLUGIN_MIRROR to the folder that contains registry.terraform.io"
  dirname "$(dirname "$(dirname "$aws")")"
}
mirror=$(find_mirror)

# NAME... on the command line: regenerate only those examples and scenarios.
only=("$@")
selected() {
  ((${#only[@]} == 0)) && return 0
  local n
  for n in "${only[@]}"; do [[ $n == "$1" ]] && return 0; done
  return 1
}
for n in ${only[@]+"${only[@]}"}; do
  [[ -d $repo/examples/$n || -d $repo/examples-input-errors/$n || -d $fixtures/scenarios/$n ]] ||
    die "no example folder or scenario named $n"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/keygate-plan-fixtures.XXXXXX")
stage=$work/out
mkdir -p "$stage/examples" "$stage/input-errors" "$stage/scenarios" "$stage/special" "$work/logs"
stub_pid=
cleanup() {
  if [[ -n $stub_pid ]]; then
    kill "$stub_pid" 2>/dev/null || true
    wait "$stub_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Plan only what is in the files: no CLI config, no inherited variables, no
# real AWS credentials or profiles.
export TF_CLI_CONFIG_FILE=$work/terraformrc
: >"$TF_CLI_CONFIG_FILE"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_DATA_DIR TF_WORKSPACE TF_PLUGIN_CACHE_DIR TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_plan TF_CLI_ARGS_show
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(TF_VAR_|AWS_)' || true)
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true

# Sorted keys, two-space indent, relevant_attributes in a stable order, the
# plan timestamp pinned.
pretty() {
  local pin=$PINNED_TIMESTAMP
  [[ ${KEEP_TIMESTAMPS:-} == 1 ]] && pin=
  if command -v jq >/dev/null; then
    jq -S --arg pin "$pin" '
      if type == "object" and has("relevant_attributes") then
        .relevant_attributes |= sort_by(.resource, (.attribute | tojson))
      else . end
      | if $pin != "" and type == "object" and has("timestamp") then .timestamp = $pin else . end'
  else
    node -e '
      const pin = process.argv[1];
      let text = "";
      process.stdin.on("data", (d) => (text += d)).on("end", () => {
        const value = JSON.parse(text);
        if (pin && value && typeof value === "object" && "timestamp" in value) value.timestamp = pin;
        if (Array.isArray(value?.relevant_attributes)) {
          const key = (r) => [r.resource, JSON.stringify(r.attribute)];
          const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
          value.relevant_attributes.sort((a, b) => cmp(key(a)[0], key(b)[0]) || cmp(key(a)[1], key(b)[1]));
        }
        const sort = (x) => Array.isArray(x) ? x.map(sort)
          : x && typeof x === "object" ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])]))
          : x;
        process.stdout.write(JSON.stringify(sort(value), null, 2) + "\n");
      });' "$pin"
  fi
}

# The "replace" addresses of a case.json, one a line.
replace_addresses() {
  if command -v jq >/dev/null; then
    jq -r '(.replace // [])[]' "$1"
  else
    node -e 'for (const a of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).replace ?? []) console.log(a)' "$1"
  fi
}

start_iam_stub() {
  [[ -n $stub_pid ]] && return
  node "$here/iam-stub.mjs" "$stub_port" 2>"$work/logs/iam-stub.log" &
  stub_pid=$!
  local i
  for i in $(seq 50); do
    kill -0 "$stub_pid" 2>/dev/null || {
      cat "$work/logs/iam-stub.log" >&2
      die "iam-stub.mjs did not start (is port $stub_port in use? set IAM_STUB_PORT)"
    }
    grep -q listening "$work/logs/iam-stub.log" && return
    sleep 0.1
  done
  die "iam-stub.mjs did not start listening on 127.0.0.1:$stub_port"
}

# Copy a configuration into a fresh working directory, the way OpenTofu would
# read it, and add the provider override.
prepare() {
  local src=$1 dest=$2
  mkdir -p "$dest"
  cp -R "$src/." "$dest/"
  rm -rf "$dest/.terraform" "$dest/.terraform.lock.hcl" "$dest/tfplan" "$dest/plan.json" "$dest/case.json"
  local f
  while IFS= read -r -d '' f; do mv -f "$f" "${f%.tofu.json}.tf.json"; done < <(find "$dest" -name '*.tofu.json' -print0)
  while IFS= read -r -d '' f; do mv -f "$f" "${f%.tofu}.tf"; done < <(find "$dest" -name '*.tofu' -print0)

  local endpoints=
  if needs_iam_stub "$dest"; then
    start_iam_stub
    endpoints=$(printf '\n  endpoints {\n    iam = "http://127.0.0.1:%s"\n  }\n' "$stub_port")
  fi
  cat >"$dest/zz_fixture_provider_override.tf" <<EOF
# Written by scripts/plan-fixtures/generate.sh: fake credentials, and no call to AWS.
provider "aws" {
  region                      = "$FIXTURE_REGION"
  access_key                  = "$FAKE_ACCESS_KEY"
  secret_key                  = "$FAKE_SECRET_KEY"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true$endpoints
}
EOF
}

# Does the configuration read a data "aws_iam_user" or import a user (in HCL or
# JSON syntax)? Both make the provider call IAM GetUser at plan time.
needs_iam_stub() {
  grep -rqsE '^[[:space:]]*(data[[:space:]]+"aws_iam_user"|import[[:space:]]*\{)' --include='*.tf' "$1" && return 0
  local json
  while IFS= read -r -d '' json; do
    node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(c.data?.aws_iam_user || c.import ? 0 : 1)' "$json" && return 0
  done < <(find "$1" -name '*.tf.json' -print0)
  return 1
}

# init + plan in DIR; extra arguments are -replace addresses. Returns plan's
# exit status; a failed init is fatal.
plan_in() {
  local dir=$1 label=$2
  shift 2
  local args=() addr
  for addr in "$@"; do args+=("-replace=$addr"); done
  (cd "$dir" && terraform init -backend=false -plugin-dir="$mirror" -input=false -no-color) >"$work/logs/$label.init.log" 2>&1 || {
    cat "$work/logs/$label.init.log" >&2
    die "terraform init failed for $label"
  }
  (cd "$dir" && terraform plan -refresh=false -input=false -no-color -out=tfplan ${args[@]+"${args[@]}"}) >"$work/logs/$label.plan.log" 2>&1
}

show_plan() {
  local dir=$1 out=$2
  (cd "$dir" && terraform show -json -no-color tfplan) | pretty >"$out"
}

# --- examples/ --------------------------------------------------------------
examples=()
for src in "$repo"/examples/*/; do
  name=$(basename "$src")
  [[ $name == ci ]] && continue # examples/ci/ holds CI wiring, not a configuration
  selected "$name" || continue
  examples+=("$name")
  dir=$work/examples/$name
  prepare "$src" "$dir"
  plan_in "$dir" "examples-$name" || {
    cat "$work/logs/examples-$name.plan.log" >&2
    die "examples/$name does not plan from an empty state"
  }
  show_plan "$dir" "$stage/examples/$name.json"
  log "examples/$name"
done
((${#examples[@]} || ${#only[@]})) || die "no example folders under $repo/examples"

# --- examples-input-errors/ -------------------------------------------------
# Configurations Terraform refuses: no plan, but `terraform validate -json` says
# where it refuses them (the examples test holds keygate's input errors to those lines).
for src in "$repo"/examples-input-errors/*/; do
  [[ -d $src ]] || continue
  name=$(basename "$src")
  selected "$name" || continue
  dir=$work/input-errors/$name
  prepare "$src" "$dir"
  (cd "$dir" && terraform init -backend=false -plugin-dir="$mirror" -input=false -no-color) >"$work/logs/input-errors-$name.init.log" 2>&1 || {
    cat "$work/logs/input-errors-$name.init.log" >&2
    die "terraform init failed for examples-input-errors/$name"
  }
  if (cd "$dir" && terraform validate -json -no-color) >"$work/logs/input-errors-$name.validate.json"; then
    die "examples-input-errors/$name: terraform validate accepts it (it belongs in examples/)"
  fi
  pretty <"$work/logs/input-errors-$name.validate.json" >"$stage/input-errors/$name.json"
  log "examples-input-errors/$name (terraform validate refuses it)"
done

# --- scenarios --------------------------------------------------------------
for src in "$fixtures"/scenarios/*/; do
  name=$(basename "$src")
  selected "$name" || continue
  [[ -f $src/case.json ]] || die "scenarios/$name has no case.json"
  mapfile -t replace < <(replace_addresses "$src/case.json")
  dir=$work/scenarios/$name
  prepare "$src" "$dir"
  plan_in "$dir" "scenario-$name" ${replace[@]+"${replace[@]}"} || {
    cat "$work/logs/scenario-$name.plan.log" >&2
    die "scenarios/$name does not plan"
  }
  mkdir -p "$stage/scenarios/$name"
  show_plan "$dir" "$stage/scenarios/$name/plan.json"
  log "scenarios/$name${replace[*]:+ (-replace=${replace[*]})}"
done

if ((${#only[@]})); then
  for out in "$stage"/examples/*.json; do
    [[ -f $out ]] && cp "$out" "$fixtures/examples/"
  done
  for out in "$stage"/input-errors/*.json; do
    [[ -f $out ]] && mkdir -p "$fixtures/input-errors" && cp "$out" "$fixtures/input-errors/"
  done
  for out in "$stage"/scenarios/*/plan.json; do
    [[ -f $out ]] && cp "$out" "$fixtures/scenarios/$(basename "$(dirname "$out")")/plan.json"
  done
  log "wrote $(find "$stage" -type f | wc -l) files under ${fixtures#"$repo"/} (only: ${only[*]})"
  node "$here/verify.mjs"
  exit
fi

# --- special inputs ---------------------------------------------------------
state_source=$work/scenarios/replaced-user
[[ -f $state_source/terraform.tfstate ]] || die "scenarios/replaced-user/terraform.tfstate is needed for special/state.json"
(cd "$state_source" && terraform show -json -no-color terraform.tfstate) | pretty >"$stage/special/state.json"
log "special/state.json (from scenarios/replaced-user/terraform.tfstate)"

cp "$work/examples/literal-name/tfplan" "$stage/special/tfplan.bin"
log "special/tfplan.bin (from examples/literal-name)"

dir=$work/special/errored
prepare "$here/errored" "$dir"
if plan_in "$dir" special-errored; then
  die "scripts/plan-fixtures/errored planned without error; it must fail part-way"
fi
[[ -f $dir/tfplan ]] || {
  cat "$work/logs/special-errored.plan.log" >&2
  die "terraform saved no plan file for the failed plan"
}
show_plan "$dir" "$stage/special/errored.json"
log "special/errored.json (plan failed as intended, plan file saved)"

for version in 0.1 0.2 1.0 1.1 2.0; do
  node "$here/downgrade.mjs" "$stage/examples/direct-reference.json" "$version" >"$stage/special/format-$version.json"
done
log "special/format-{0.1,0.2,1.0,1.1,2.0}.json (from examples/direct-reference)"

# --- install ----------------------------------------------------------------
mkdir -p "$fixtures/examples" "$fixtures/special"
rm -f "$fixtures"/examples/*.json
cp "$stage"/examples/*.json "$fixtures/examples/"
mkdir -p "$fixtures/input-errors"
rm -f "$fixtures"/input-errors/*.json
cp "$stage"/input-errors/*.json "$fixtures/input-errors/"
for out in "$stage"/scenarios/*/plan.json; do
  cp "$out" "$fixtures/scenarios/$(basename "$(dirname "$out")")/plan.json"
done
rm -f "$fixtures"/special/{state.json,tfplan.bin,errored.json} "$fixtures"/special/format-*.json
cp "$stage"/special/* "$fixtures/special/"
log "wrote $(find "$stage" -type f | wc -l) files under ${fixtures#"$repo"/}"

node "$here/verify.mjs"
