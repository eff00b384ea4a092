import type { LiveKeyEvidence } from "./live-evidence.js";
import type { LinkRoute } from "../../model/links.js";

export type { LiveKeyEvidence } from "./live-evidence.js";

/** The facts behind a KG001 finding: one variant per kind of evidence. */
export type KG001Evidence = StaticPairEvidence | ModuleCallEvidence | LiveKeyEvidence;

/** An access key declared (HCL) or planned (plan JSON) together with its user. */
export interface StaticPairEvidence {
  kind: "static-pair";
  /** The access key's address (module-qualified; instance keys in plan mode). */
  key: string;
  /** The user's address. */
  user: string;
  /** The user's name when it is known statically. */
  userName?: string;
  /** How the key's `user` argument was tied to the user (the routes of docs/checks.md). */
  route: LinkRoute;
  /** Address of an `aws_iam_user_login_profile` for the same user, when there is one. */
  loginProfile?: string;
  /** Conditions (count / for_each) that could not be decided statically and were assumed true. */
  undecided: string[];
}

/**
 * A registry or git module call that creates an access key together with its user (the module's
 * own user, or one the caller created and passed in). Reported on the module call, since that is the
 * code the user wrote; the module was read from its downloaded code, or modelled by the module catalog.
 */
export interface ModuleCallEvidence {
  kind: "module-call";
  /** The module call's address: `module.iam_user`, `module.team.module.iam_user`. */
  module: string;
  /** The call's `source`, as written. */
  source: string;
  /** The version `terraform init` installed, else the call's version constraint, when there is one. */
  version?: string;
  /** How the module was read: its downloaded code (`.terraform/modules`), or the module catalog. */
  analysis: "downloaded" | "catalog";
  /** The catalog entry that describes the module, when one does (`terraform-aws-modules/iam-user/v4-v5`). */
  catalogEntry?: string;
  /** The access key's address (inside the module). */
  key: string;
  /** The user's address (inside the module, or the caller's user passed in). */
  user: string;
  /** The user's name when it is known statically. */
  userName?: string;
  /** How the key was tied to the user (a key the module creates for its own user: `reference`). */
  route: LinkRoute;
  /** The inputs that make the module create the user and the key, with the values they have. */
  inputs: ModuleInputValue[];
  /** The argument that turns the key off, when the catalog knows it: `create_iam_access_key = false`. */
  fix?: { input: string; value: unknown };
  /** Address of the console password the module creates for the same user, when it does. */
  loginProfile?: string;
  /** Conditions that could not be decided statically and were assumed true (fail closed). */
  undecided: string[];
}

/** One input of a module call as keygate evaluated it. */
export interface ModuleInputValue {
  name: string;
  /** The value, as HCL (`true`, `"ci"`), or the expression when it cannot be decided. */
  value: string;
  /** `argument`: set on the module call; `default`: the module's default. */
  from: "argument" | "default";
}
