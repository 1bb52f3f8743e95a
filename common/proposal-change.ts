/**
 * What an operator may propose without raw git (SPEC-3: "propose change (profiles/secrets)"): a cluster's wave,
 * profiles and labels in clusters.yaml, a service's image in the compose file, a value of a cluster's .env (never
 * a secret: those are `enc:sops` references), and a secret's value, sealed by the console before it is a change.
 */
export type ProposalChange =
  | { kind: 'cluster'; cluster: string; wave?: string; profiles?: string[]; labels?: Record<string, string> }
  | { kind: 'image'; service: string; image: string }
  | { kind: 'env'; cluster: string; key: string; value: string }
  /** `sealed`: the SOPS file `secrets/<cluster>.d/<name>.enc.yaml`, the value encrypted to the cluster's age recipients. */
  | { kind: 'secret'; cluster: string; name: string; sealed: string };

/** A secret's value as the operator typed it: only in the console's memory, sealed before anything keeps it. */
export interface PlainSecret {
  kind: 'plain-secret';
  cluster: string;
  name: string;
  value: string;
}

/** What the new-proposal form asks for. */
export type ProposalDraft = ProposalChange | PlainSecret;
