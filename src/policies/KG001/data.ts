import type { CheckContext, PolicyData } from "../policy.js";
import type { KG001Evidence } from "./evidence.js";

/** A resource type that refers to a user through one of its attributes. */
export interface LinkedType {
  type: string;
  linkAttribute: string;
  meaning?: string;
}

/** KG001's data (policies/KG001.json): the key, the user it names, and what makes the pair worse. */
export interface KG001Data extends PolicyData {
  /** The resource type a finding is reported on (the access key), and the attribute that names its user. */
  subject: LinkedType;
  /** The user's resource type, and the attribute that is its name. */
  target: { type: string; nameAttribute: string };
  /** Resources that, linked to the same user, make the finding more serious (a console password). */
  aggravating?: LinkedType[];
}

/** What KG001's checks are given. */
export type KG001Context = CheckContext<KG001Data, KG001Evidence>;
