import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { ConfigError } from '../../config/config-error';
import type { GitMirror } from '../../repo/git-mirror';
import { ProposalRefused, commitProposal, fastForward } from '../../repo/proposal-branch';
import { pruneTrees } from '../../repo/tree-pruning';
import { applyChange, describeChange, fileAt } from '../../services/console/proposal-changes';
import type { GateVerdict, Proposal, ProposalStore } from '../../stores/proposal-store';
import { COMMIT_GATES, checkCommitGates, type CommitGate } from '../../supply-chain/commit-gates';
import { startRollout } from '../../triggers/rollout-trigger';
import { proposalRefused, type ProposalInput } from '../../workflows/proposal-messages';

export interface ProposalControlDeps {
  proposals: ProposalStore;
  /** The control worker's mirror of the config repo, and the directory its trees and scratch clones go under. */
  mirror: () => GitMirror;
  dir: () => string;
  /** An SSH private key file: proposal commits are signed with it (the repo's allowed-signers must list it). */
  signingKey?: string;
  client: Client;
}

/** The proposal workflow's side effects: git, the gates, MongoDB and the rollout's start. */
export function createProposalControlActivities(deps: ProposalControlDeps) {
  const { proposals } = deps;

  /** The gates of `lucid policy check`, each with its verdict: those after a refusal are not run, as there. */
  async function gateVerdicts(mirror: GitMirror, sha: string): Promise<GateVerdict[]> {
    const notes = new Map<CommitGate, string>();
    let refusal: string | undefined;
    try {
      const commit = await mirror.fetchAndResolve(sha);
      const treesDir = path.join(deps.dir(), 'proposal-trees');
      const tree = await mirror.materialize(commit.sha, treesDir);
      pruneTrees(treesDir, [commit.sha]);
      const cacheDir = path.join(deps.dir(), 'image-verdicts');
      await checkCommitGates({ gitDir: mirror.mirrorDir, sha: commit.sha, treeDir: tree, cacheDir, passed: (g, note) => notes.set(g, note) });
    } catch (err) {
      // Anything but a refusal (a registry that does not answer, say) still leaves the gate unpassed: fail closed.
      refusal = err instanceof ConfigError ? err.message : `could not be checked: ${(err as Error).message}`;
    }
    let stopped = false;
    return COMMIT_GATES.map((gate): GateVerdict => {
      const note = notes.get(gate);
      if (note !== undefined) return { gate, verdict: 'passed', detail: note };
      if (stopped) return { gate, verdict: 'not run', detail: 'an earlier gate refused the commit' };
      stopped = true;
      return { gate, verdict: 'refused', detail: refusal ?? 'did not pass' };
    });
  }

  return {
    /**
     * Commits the change on `proposals/<id>` of its base, runs the gates on it and records both for the pages.
     * A retry after the record was written returns the record.
     */
    async proposeChange(input: ProposalInput): Promise<Pick<Proposal, 'commit' | 'gates'>> {
      const recorded = await proposals.get(input.id);
      if (recorded) return { commit: recorded.commit, gates: recorded.gates };
      const mirror = deps.mirror();
      try {
        await mirror.fetch();
        const files = await applyChange(input.change, fileAt(mirror.mirrorDir, input.base), input.base);
        const branch = `proposals/${input.id}`;
        const { commit, diff } = await commitProposal(mirror, {
          branch,
          base: input.base,
          files,
          author: { name: input.by },
          message: `${input.title}\n\n${describeChange(input.change)}\n\nProposed-by: ${input.by}\nLucid-Proposal: ${input.id}\n`,
          signingKey: deps.signingKey,
          scratchDir: path.join(deps.dir(), 'proposals'),
        });
        const gates = await gateVerdicts(mirror, commit);
        const { id, title, change, by: proposer, base } = input;
        const createdAt = new Date().toISOString();
        await proposals.insert({ id, title, change, proposer, createdAt, branch, base, commit, diff, gates, approvals: [] });
        log('proposed', { id, by: proposer, commit, gates: gates.map((g) => `${g.gate}:${g.verdict}`) });
        return { commit, gates };
      } catch (err) {
        if (err instanceof ProposalRefused) throw proposalRefused({ status: 409, field: err.field, reason: err.reason });
        throw err;
      }
    },

    async recordApproval(input: { id: number; by: string; at: string }): Promise<void> {
      await proposals.approve(input.id, input.by, input.at);
      log('approved', input);
    },

    /** Fast-forwards the followed branch to the proposal's commit and starts its rollout, as a push of it would. */
    async mergeProposal(input: {
      id: number;
      commit: string;
      branch: string;
      by: string;
      at: string;
      reason: string;
    }): Promise<NonNullable<Proposal['merged']>> {
      try {
        await fastForward(deps.mirror(), input.commit, input.branch);
      } catch (err) {
        if (err instanceof ProposalRefused) throw proposalRefused({ status: 409, field: err.field, reason: err.reason });
        throw err;
      }
      // A push of the commit to the followed branch starts its rollout as the webhook would, naming who merged.
      const { workflowId } = await startRollout(deps.client, input.commit, { source: 'webhook', by: input.by, reason: input.reason });
      const merged = { by: input.by, at: input.at, rollout: workflowId };
      await proposals.markMerged(input.id, merged);
      log('merged', { id: input.id, by: input.by, commit: input.commit, rollout: workflowId });
      return merged;
    },

    async recordWithdrawal(input: { id: number; by: string; at: string }): Promise<void> {
      await proposals.markWithdrawn(input.id, { by: input.by, at: input.at });
      log('withdrawn', input);
    },
  };
}

export type ProposalActivities = ReturnType<typeof createProposalControlActivities>;

function log(what: string, fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ activity: `proposal ${what}`, ...fields })}\n`);
}
