import { combinedProgress, replicaListings } from '../../workflows/peer-copies';
import type { ReplicationProgress } from '../../workflows/replication-types';

const target = { kind: 's3' as const, endpoint: 'http://127.0.0.1:9000', bucket: 'lucid-chunks' };
const plan = { host: 'http://127.0.0.1:7480', peers: ['n-b', 'n-c'] };

describe('a session\'s replication over the object store and its peers', () => {
  it('counts the chunks every copy has: the copy furthest behind', () => {
    const s3: ReplicationProgress = { target, peerPlan: plan, journaled: 9, replicated: 8, written: 3 };
    const held = [{ host: 'http://b', journaled: 9, replicated: 5, written: 5 }, { host: 'http://c', journaled: 9, replicated: 9, written: 1 }];
    expect(combinedProgress(s3, held)).toEqual({ target, peerPlan: plan, journaled: 9, replicated: 5, written: 9 });
  });

  it('leaves the object store out when the node has none, and carries the first failure', () => {
    const s3: ReplicationProgress = { peerPlan: plan, journaled: 4, replicated: 0, written: 0 };
    const held = [{ host: 'http://b', journaled: 4, replicated: 4, written: 4 }, { journaled: 0, replicated: 0, written: 0, failure: 'peer n-c: away' }];
    expect(combinedProgress(s3, held)).toEqual({ peerPlan: plan, journaled: 4, replicated: 0, written: 4, failure: 'peer n-c: away' });
    expect(combinedProgress(s3, held.slice(0, 1))).toEqual({ peerPlan: plan, journaled: 4, replicated: 4, written: 4 });
  });

  it('is the object store\'s alone without peers, as before peer copies', () => {
    const s3: ReplicationProgress = { target, journaled: 3, replicated: 2, written: 1, failure: 's3 down' };
    expect(combinedProgress(s3, [])).toEqual(s3);
  });

  it('lists the object store\'s copy, then each peer\'s at its own chunk host', () => {
    const held = [{ host: 'http://b', journaled: 7, replicated: 7, written: 0 }, { host: 'http://c', journaled: 7, replicated: 7, written: 0 }];
    expect(replicaListings({ target, journaled: 7, replicated: 7, written: 0 }, held, plan, 7)).toEqual([
      { ...target, chunks: 7 },
      { kind: 'peer', nodeId: 'n-b', host: 'http://b', chunks: 7 },
      { kind: 'peer', nodeId: 'n-c', host: 'http://c', chunks: 7 },
    ]);
  });
});
