import type { ProofDocument } from '../../anchoring/proof-document';
import { AnchorStore } from '../../stores/anchor-store';
import { ReplicationStore } from '../../stores/replication-store';
import { SessionStore, type SessionListing } from '../../stores/session-store';
import { anchorStatus, type AnchorStatus } from '../anchor-status';
import type { ConsoleContext } from '../console-context';
import { sessionProofDocument } from '../session-proof';

/** Where a session's root is on its way to the chain. */
export type SessionAnchorState =
  | { state: 'anchored'; batchId: string; txHash: string; blockNumber: number }
  /** Sealed into a batch the chain has not taken (yet); `refused` names why when it refused it. */
  | { state: 'sealed'; batchId: string; refused?: string }
  /** Not in a batch yet: the batcher takes it with the next one. */
  | { state: 'queued' }
  /** No chunk recorded: nothing to anchor. */
  | { state: 'empty' };

export interface SessionRow extends SessionListing {
  anchor: SessionAnchorState;
  /** How far the copy to the node's object store is, as the replication workflow last recorded it. */
  replication: { journaled: number; replicated: number; done: boolean; failure?: string } | null;
  /** Chunks found bad (a leaf that does not match, a copy missing) by reads and the repair sweep's copy checks. */
  incidents: number;
}

export interface SessionsView {
  sessions: SessionRow[];
  /** `lucid anchor status`; null when the stack has no chain configured. */
  anchoring: AnchorStatus | null;
}

/** The newest sessions the page lists; `lucid session list --json` has all of them. */
const SHOWN = 200;

/** What `lucid session list`, `lucid anchor status` and `lucid session proof` read, for the console. */
export class SessionsData {
  constructor(private readonly ctx: ConsoleContext) {}

  async view(): Promise<SessionsView> {
    const db = await this.ctx.db();
    const [sessions, anchors] = [new SessionStore(db), new AnchorStore(db)];
    const listed = (await sessions.list()).slice(0, SHOWN);
    const ids = listed.map((s) => s.sessionId);
    const chain = this.chain();
    const [batches, failed, replication, incidents, anchoring] = await Promise.all([
      anchors.batchesOf(ids),
      anchors.failedBatches(),
      new ReplicationStore(db).ofSessions(ids),
      sessions.incidentCounts(),
      chain ? anchorStatus({ anchors, sessions, chain }) : null,
    ]);
    const refused = new Map(failed.map((f) => [f.batchId, f.reason]));
    const rows = listed.map((s): SessionRow => {
      const batchId = batches.get(s.sessionId);
      const r = replication.get(s.sessionId);
      return {
        ...s,
        anchor: s.anchored
          ? { state: 'anchored', ...s.anchored }
          : batchId
            ? { state: 'sealed', batchId, ...(refused.has(batchId) && { refused: refused.get(batchId) }) }
            : { state: s.chunks === 0 ? 'empty' : 'queued' },
        replication: r ? { journaled: r.journaled, replicated: r.replicated, done: r.done, ...(r.failure && { failure: r.failure }) } : null,
        incidents: incidents.get(s.sessionId) ?? 0,
      };
    });
    return { sessions: rows, anchoring };
  }

  /** `lucid session proof <id>`: the same document; NoProofError when the session is unknown or not anchored yet. */
  async proof(sessionId: string): Promise<ProofDocument> {
    const db = await this.ctx.db();
    return sessionProofDocument({ anchors: new AnchorStore(db), sessions: new SessionStore(db) }, sessionId);
  }

  private chain(): ReturnType<ConsoleContext['chainEndpoint']> | undefined {
    try {
      return this.ctx.chainEndpoint();
    } catch {
      return undefined;
    }
  }
}
