import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ProposalActivities } from '../activities/control/proposal-activities';
import {
  approveProposalUpdate,
  mergeProposalUpdate,
  proposalRefused,
  proposalStateQuery,
  proposedUpdate,
  withdrawProposalUpdate,
  type ProposalInput,
  type ProposalState,
} from './proposal-messages';
import { SEARCH_ATTRIBUTES as SA } from './search-attributes';
import { CONTROL_QUEUE } from './task-queues';

// Git and the registry may be away for a while; a refusal is final.
const control = proxyActivities<ProposalActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: ['ProposalRefused'] },
});

/**
 * proposal-<id>: an operator's change from commit to merge. The commit, the gates, the MongoDB record the pages read,
 * the fast-forward and the rollout are activities; who approves, merges or withdraws is each update's payload, so the
 * whole review is in this history. Ends merged or withdrawn.
 */
export async function proposal(input: ProposalInput): Promise<ProposalState> {
  const state: ProposalState = { id: input.id, proposer: input.by, phase: 'proposing', approvals: [] };
  let failure: unknown;
  handleProposalMessages(input, state);
  setHandler(proposedUpdate, async () => {
    await condition(() => state.phase !== 'proposing');
    if (state.phase === 'failed') throw failure;
    return state;
  });
  try {
    Object.assign(state, await control.proposeChange(input), { phase: 'open' });
    upsertSearchAttributes([{ key: SA.commit, value: state.commit! }]);
  } catch (err) {
    failure = err;
    state.phase = 'failed';
    // The console's `proposed` update answers with the refusal before the workflow fails with it.
    await condition(allHandlersFinished);
    throw err;
  }
  await condition(() => state.phase === 'merged' || state.phase === 'withdrawn');
  await condition(allHandlersFinished);
  upsertSearchAttributes([{ key: SA.outcome, value: state.phase }]);
  return state;
}

function handleProposalMessages(input: ProposalInput, state: ProposalState): void {
  const { id, proposer } = state;
  const refuse = (status: 403 | 409, field: string, reason: string) => {
    throw proposalRefused({ status, field, reason });
  };
  const refuseActor = (by: string) => {
    if (!by) refuse(409, 'by', 'names nobody: every action on a proposal names who acts');
  };
  const refuseUnmergeable = () => {
    if (state.phase === 'proposing') refuse(409, 'proposal', `#${id} is still being committed and gated`);
    if (state.merged) refuse(409, 'proposal', `#${id} was merged by ${state.merged.by}`);
    if (state.withdrawn) refuse(409, 'proposal', `#${id} was withdrawn by ${state.withdrawn.by}`);
    if (state.phase === 'merging') refuse(409, 'proposal', `#${id} is being merged`);
    const failed = state.gates?.find((g) => g.verdict !== 'passed');
    if (failed) refuse(409, 'gates', `#${id} cannot be merged: the ${failed.gate} gate ${failed.verdict === 'refused' ? 'refused it' : 'did not run'} (${failed.detail})`);
  };
  const approvers = () => state.approvals.map((a) => a.by).filter((a) => a !== proposer);

  setHandler(proposalStateQuery, () => state);
  setHandler(
    approveProposalUpdate,
    async ({ by }) => {
      const approval = { by, at: new Date().toISOString() };
      state.approvals.push(approval);
      try {
        await control.recordApproval({ id, ...approval });
      } catch (err) {
        state.approvals.splice(state.approvals.indexOf(approval), 1);
        throw err;
      }
      return state;
    },
    {
      validator: ({ by }) => {
        refuseActor(by);
        if (by === proposer) refuse(403, 'approver', `'${by}' proposed #${id}: nobody approves their own proposal`);
        refuseUnmergeable();
        if (state.approvals.some((a) => a.by === by)) refuse(409, 'approver', `'${by}' already approved #${id}`);
      },
    },
  );
  setHandler(
    mergeProposalUpdate,
    async ({ by }) => {
      state.phase = 'merging';
      const reason = `proposal #${id} merged by ${by}: proposed by ${proposer}, approved by ${approvers().join(', ')}`;
      try {
        state.merged = await control.mergeProposal({ id, commit: state.commit!, branch: input.branch, by, at: new Date().toISOString(), reason });
      } catch (err) {
        state.phase = 'open';
        throw err;
      }
      state.phase = 'merged';
      return state;
    },
    {
      validator: ({ by }) => {
        refuseActor(by);
        refuseUnmergeable();
        if (approvers().length === 0) refuse(409, 'approvals', `#${id} needs an approval by an approver other than its proposer '${proposer}'`);
      },
    },
  );
  setHandler(
    withdrawProposalUpdate,
    async ({ by }) => {
      const withdrawn = { by, at: new Date().toISOString() };
      await control.recordWithdrawal({ id, ...withdrawn });
      Object.assign(state, { withdrawn, phase: 'withdrawn' });
      return state;
    },
    {
      validator: ({ by }) => {
        refuseActor(by);
        if (state.merged) refuse(409, 'proposal', `#${id} was merged by ${state.merged.by}`);
        if (state.withdrawn) refuse(409, 'proposal', `#${id} was withdrawn by ${state.withdrawn.by}`);
        if (state.phase !== 'open') refuse(409, 'proposal', `#${id} is ${state.phase}`);
      },
    },
  );
}
