import { ApplicationFailure, defineQuery, defineUpdate } from '@temporalio/workflow';
import type { GateVerdict } from '../stores/proposal-store';
import type { ProposalChange } from '../common/proposal-change';

/** What the console starts `proposal-<id>` with: the change, made on `base` of the followed branch. */
export interface ProposalInput {
  id: number;
  by: string;
  title: string;
  change: ProposalChange;
  base: string;
  /** The branch the fleet follows: the merge fast-forwards it. */
  branch: string;
}

export interface ProposalState {
  id: number;
  proposer: string;
  phase: 'proposing' | 'open' | 'merging' | 'merged' | 'withdrawn' | 'failed';
  commit?: string;
  gates?: GateVerdict[];
  approvals: Array<{ by: string; at: string }>;
  merged?: { by: string; at: string; rollout: string };
  withdrawn?: { by: string; at: string };
}

/** A refusal the operator can act on, as the console answers it: HTTP status, the field it is about and why. */
export interface ProposalRefusal {
  status: 403 | 404 | 409;
  field: string;
  reason: string;
}

/** Failure type of a refused proposal action; its one detail is the ProposalRefusal. */
export const PROPOSAL_REFUSED = 'ProposalRefused';

export function proposalRefused(refusal: ProposalRefusal): ApplicationFailure {
  return ApplicationFailure.create({ type: PROPOSAL_REFUSED, message: `${refusal.field}: ${refusal.reason}`, details: [refusal], nonRetryable: true });
}

/** The refusal somewhere in an error's cause chain (an update's, an activity's, a workflow's failure); undefined if none. */
export function proposalRefusalOf(err: unknown): ProposalRefusal | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.type === PROPOSAL_REFUSED) return e.details?.[0] as ProposalRefusal;
  }
  return undefined;
}

// What the console sends a proposal. Who acts is in each message's payload, so it is in the workflow's history.
export const proposalStateQuery = defineQuery<ProposalState>('proposalState');
/** Answers once the change is committed and gated (or fails with the refusal): the console waits on it after the start. */
export const proposedUpdate = defineUpdate<ProposalState>('proposed');
export const approveProposalUpdate = defineUpdate<ProposalState, [{ by: string }]>('approveProposal');
export const mergeProposalUpdate = defineUpdate<ProposalState, [{ by: string }]>('mergeProposal');
export const withdrawProposalUpdate = defineUpdate<ProposalState, [{ by: string }]>('withdrawProposal');
