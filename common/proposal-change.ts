/**
 * What an operator may propose without raw git (SPEC-3: "propose change (profiles/...)"): a cluster's wave,
 * profiles and labels in clusters.yaml, a service's image in the compose file, and a value of a cluster's .env
 * (never a secret: those are `enc:sops` references).
 */
export type ProposalChange =
  | { kind: 'cluster'; cluster: string; wave?: string; profiles?: string[]; labels?: Record<string, string> }
  | { kind: 'image'; service: string; image: string }
  | { kind: 'env'; cluster: string; key: string; value: string };
