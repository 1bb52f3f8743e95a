import * as path from 'node:path';
import { ConfigError } from '../../config/config-error';
import { CommitReads } from '../../repo/commit-reads';
import { ProposalRefused, branchHead, commitProposal, fastForward } from '../../repo/proposal-branch';
import { ProposalStore, type GateVerdict, type Proposal } from '../../stores/proposal-store';
import { COMMIT_GATES, type CommitGate } from '../../supply-chain/commit-gates';
import type { ConsoleContext } from '../console-context';
import { applyChange, describeChange, type ProposalChange } from './proposal-changes';

/** What the new-proposal form offers: the fleet as main has it. */
export interface ProposalFormOptions {
  base: string;
  waves: string[];
  clusters: Array<{ id: string; wave: string; profiles: string[]; labels: Record<string, string> }>;
  services: Array<{ name: string; image: string }>;
}

/** A refusal the operator can act on: HTTP status, the field it is about and why. */
export class ProposalActionRefused extends Error {
  constructor(
    readonly status: 403 | 404 | 409,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ProposalActionRefused';
  }
}

const RECENT = 50;

/**
 * The console's reviewed commits (the "PRs" of SPEC-3 M9). A proposal is a commit on `proposals/<id>` of the
 * config repo, by the operator, gated by the same checks as `lucid policy check`; an approver other than the
 * proposer approves it, and the merge fast-forwards the followed branch and starts the rollout as a push does.
 */
export class Proposals {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly opts: {
      /** The branch the fleet follows (`lucid serve --branch`). */
      branch: string;
      /** An SSH private key file: proposal commits are signed with it (the repo's allowed-signers must list it). */
      signingKey?: string;
      /** The push path: what the webhook does for a new head of the branch. */
      startRollout: (commit: string, by: string, reason: string) => Promise<{ workflowId: string }>;
    },
  ) {}

  private async store(): Promise<ProposalStore> {
    return new ProposalStore(await this.ctx.db());
  }

  async formOptions(): Promise<ProposalFormOptions> {
    const { commit, fleet } = await this.ctx.fleetAt();
    const services = new Map<string, string>();
    for (const c of fleet.clusters.values()) for (const s of c.services) services.set(s.name, s.image);
    return {
      base: commit.sha,
      waves: fleet.inventory.waves.map((w) => w.name),
      clusters: fleet.inventory.clusters.map((c) => ({ id: c.id, wave: c.wave, profiles: [...c.profiles], labels: c.labels })),
      services: [...services].sort(([a], [b]) => a.localeCompare(b)).map(([name, image]) => ({ name, image })),
    };
  }

  async list(): Promise<Proposal[]> {
    return (await this.store()).recent(RECENT);
  }

  async get(id: number): Promise<Proposal> {
    const p = await (await this.store()).get(id);
    if (!p) throw new ProposalActionRefused(404, 'proposal', `no proposal #${id}`);
    return p;
  }

  /** Commits the change on `proposals/<id>` of the branch's head, runs the gates on it and records both. */
  async propose(by: string, title: string, change: ProposalChange): Promise<Proposal> {
    const mirror = this.ctx.mirror();
    await mirror.fetch();
    const base = await branchHead(mirror, this.opts.branch);
    const reads = new CommitReads(mirror.mirrorDir);
    const read = (file: string) =>
      reads.at(base, ['show', '--end-of-options', `${base}:${file}`]).catch(() => {
        throw new ProposalRefused('file', `${file} is not in the config repo at ${base.slice(0, 12)}`);
      });
    const files = await applyChange(change, read, base);
    const store = await this.store();
    const id = await store.nextId();
    const branch = `proposals/${id}`;
    const message = `${title}\n\n${describeChange(change)}\n\nProposed-by: ${by}\nLucid-Proposal: ${id}\n`;
    const { commit, diff } = await commitProposal(mirror, {
      branch,
      base,
      files,
      author: { name: by },
      message,
      signingKey: this.opts.signingKey,
      scratchDir: path.join(this.ctx.env.LUCID_DATA_DIR, 'console', 'proposals'),
    });
    const gates = await this.runGates(commit);
    const createdAt = new Date().toISOString();
    const proposal: Proposal = { id, title, change, proposer: by, createdAt, branch, base, commit, diff, gates, approvals: [] };
    await store.insert(proposal);
    log('proposed', { id, by, commit, gates: gates.map((g) => `${g.gate}:${g.verdict}`) });
    return proposal;
  }

  /** The gates of `lucid policy check`, each with its verdict: those after a refusal are not run, as there. */
  private async runGates(commit: string): Promise<GateVerdict[]> {
    const notes = new Map<CommitGate, string>();
    let refusal: string | undefined;
    try {
      await this.ctx.gatedAt(commit, (gate, note) => notes.set(gate, note));
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

  async approve(id: number, by: string): Promise<Proposal> {
    const p = await this.get(id);
    if (p.proposer === by) throw new ProposalActionRefused(403, 'approver', `'${by}' proposed #${id}: nobody approves their own proposal`);
    refuseUnmergeable(p);
    if (!(await (await this.store()).approve(id, by, new Date().toISOString()))) {
      throw new ProposalActionRefused(409, 'approver', `'${by}' already approved #${id}, or it merged meanwhile`);
    }
    log('approved', { id, by, commit: p.commit });
    return this.get(id);
  }

  /** Fast-forwards the followed branch to the proposal's commit and starts its rollout, as a push of it would. */
  async merge(id: number, by: string): Promise<Proposal> {
    const p = await this.get(id);
    refuseUnmergeable(p);
    const approvers = p.approvals.map((a) => a.by).filter((a) => a !== p.proposer);
    if (approvers.length === 0) throw new ProposalActionRefused(409, 'approvals', `#${id} needs an approval by an approver other than its proposer '${p.proposer}'`);
    try {
      await fastForward(this.ctx.mirror(), p.commit, this.opts.branch);
    } catch (err) {
      if (err instanceof ProposalRefused) throw new ProposalActionRefused(409, err.field, err.reason);
      throw err;
    }
    const reason = `proposal #${id} merged by ${by}: proposed by ${p.proposer}, approved by ${approvers.join(', ')}`;
    const { workflowId } = await this.opts.startRollout(p.commit, by, reason);
    await (await this.store()).markMerged(id, { by, at: new Date().toISOString(), rollout: workflowId });
    log('merged', { id, by, commit: p.commit, rollout: workflowId });
    return this.get(id);
  }
}

/** Merged, or a gate did not pass: nothing to approve or merge (refused server-side, whatever the page shows). */
function refuseUnmergeable(p: Proposal): void {
  if (p.merged) throw new ProposalActionRefused(409, 'proposal', `#${p.id} was merged by ${p.merged.by}`);
  const failed = p.gates.find((g) => g.verdict !== 'passed');
  if (failed) throw new ProposalActionRefused(409, 'gates', `#${p.id} cannot be merged: the ${failed.gate} gate ${failed.verdict === 'refused' ? 'refused it' : 'did not run'} (${failed.detail})`);
}

function log(what: string, fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ console: `proposal ${what}`, ...fields })}\n`);
}
