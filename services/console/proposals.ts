import { WorkflowNotFoundError } from '@temporalio/client';
import { branchHead } from '../../repo/proposal-branch';
import { ProposalStore, type Proposal } from '../../stores/proposal-store';
import {
  approveProposalUpdate,
  mergeProposalUpdate,
  proposalRefusalOf,
  proposedUpdate,
  withdrawProposalUpdate,
  type ProposalInput,
} from '../../workflows/proposal-messages';
import type { proposal } from '../../workflows/proposal';
import { CONTROL_QUEUE, proposalWorkflowId } from '../../workflows/task-queues';
import type { ConsoleContext } from '../console-context';
import type { ProposalDraft } from '../../common/proposal-change';
import { applyChange, fileAt } from './proposal-changes';
import { sealSecret } from './secret-sealing';

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
 * The console's reviewed commits (the "PRs" of SPEC-3 M9). Each is a `proposal-<id>` workflow on the control queue:
 * it commits the change on `proposals/<id>` of the config repo and runs the gates of `lucid policy check` on it;
 * an approver other than the proposer approves it, and the merge fast-forwards the followed branch and starts the
 * rollout as a push does. The pages read the record it keeps in MongoDB.
 */
export class Proposals {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly opts: {
      /** The branch the fleet follows (`lucid serve --branch`). */
      branch: string;
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

  /**
   * Starts `proposal-<id>` on the branch's head and waits until it has committed and gated the change. The change is
   * tried on the head first, so a change that cannot be made (or names a secret) is refused before it takes a number.
   * A secret's value is sealed here, before the workflow starts: only the sealed file is in its history.
   */
  async propose(by: string, title: string, draft: ProposalDraft): Promise<Proposal> {
    const mirror = this.ctx.mirror();
    await mirror.fetch();
    const base = await branchHead(mirror, this.opts.branch);
    const read = fileAt(mirror.mirrorDir, base);
    const change = draft.kind === 'plain-secret' ? await sealSecret(draft, read) : draft;
    await applyChange(change, read, base);
    const id = await (await this.store()).nextId();
    const input: ProposalInput = { id, by, title, change, base, branch: this.opts.branch };
    const client = await this.ctx.temporal();
    const handle = await client.workflow.start<typeof proposal>('proposal', { taskQueue: CONTROL_QUEUE, workflowId: proposalWorkflowId(id), args: [input] });
    try {
      await handle.executeUpdate(proposedUpdate);
    } catch (err) {
      // A refusal may close the workflow before the update reaches it: its failure carries the refusal then.
      if (!proposalRefusalOf(err)) await handle.result().catch((failed: unknown) => (err = failed));
      throw refused(err);
    }
    return this.get(id);
  }

  approve(id: number, by: string): Promise<Proposal> {
    return this.act(id, approveProposalUpdate, by);
  }

  merge(id: number, by: string): Promise<Proposal> {
    return this.act(id, mergeProposalUpdate, by);
  }

  withdraw(id: number, by: string): Promise<Proposal> {
    return this.act(id, withdrawProposalUpdate, by);
  }

  /** The update to `proposal-<id>`, naming who acts; a closed workflow takes none, and its record says why. */
  private async act(id: number, update: ProposalActionUpdate, by: string): Promise<Proposal> {
    const p = await this.get(id);
    const handle = (await this.ctx.temporal()).workflow.getHandle(proposalWorkflowId(id));
    try {
      await handle.executeUpdate(update, { args: [{ by }] });
    } catch (err) {
      const closed = p.merged ? `was merged by ${p.merged.by}` : p.withdrawn ? `was withdrawn by ${p.withdrawn.by}` : undefined;
      if (closed && !proposalRefusalOf(err)) throw new ProposalActionRefused(409, 'proposal', `#${id} ${closed}`);
      throw refused(err);
    }
    return this.get(id);
  }
}

type ProposalActionUpdate = typeof approveProposalUpdate | typeof mergeProposalUpdate | typeof withdrawProposalUpdate;

/** The workflow's refusals as the console answers them; a proposal from before proposals were workflows has none to ask. */
function refused(err: unknown): unknown {
  const refusal = proposalRefusalOf(err);
  if (refusal) return new ProposalActionRefused(refusal.status, refusal.field, refusal.reason);
  if (err instanceof WorkflowNotFoundError) return new ProposalActionRefused(409, 'proposal', `${err.workflowId} does not exist: propose the change again`);
  return err;
}
