import { monthBounds } from '../common/payout-month';

/** What a payout needs of a recorded session (MongoDB `sessions`). */
export interface RecordedSession {
  nodeId: string;
  startedAt: Date;
  endedAt: Date;
  bytes: number;
  /** Its root is in an anchored batch: the proof payment is based on. */
  anchored: boolean;
  /** The recording failed: it earns nothing, anchored or not. */
  failed: boolean;
}

/** One node's paid work in a month: anchored, successful sessions only; the rest are counted, not paid. */
export interface NodeUsage {
  node: string;
  sessions: number;
  seconds: number;
  bytes: number;
  /** Sessions of the month that earn nothing: not anchored, or failed. */
  unpaid: number;
}

/** Sessions are the month's that ended in it (UTC); a node with only unpaid sessions is listed with zero usage. */
export function aggregateMonth(sessions: Iterable<RecordedSession>, month: string): NodeUsage[] {
  const { start, end } = monthBounds(month);
  const from = start.getTime();
  const to = end.getTime();
  const byNode = new Map<string, NodeUsage>();
  for (const s of sessions) {
    const ended = s.endedAt.getTime();
    if (ended < from || ended >= to) continue;
    let u = byNode.get(s.nodeId);
    if (!u) byNode.set(s.nodeId, (u = { node: s.nodeId, sessions: 0, seconds: 0, bytes: 0, unpaid: 0 }));
    if (!s.anchored || s.failed) {
      u.unpaid++;
      continue;
    }
    u.sessions++;
    u.seconds += Math.max(0, (ended - s.startedAt.getTime()) / 1000);
    u.bytes += s.bytes;
  }
  return [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}
