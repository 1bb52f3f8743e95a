import { MAX_BATCHES_PER_STEP, batchesOf, clusterList, countStates, pick } from '../../workflows/rollout-batching';
import { failureBudget } from '../../workflows/rollout-budget';
import type { ClusterProgress } from '../../workflows/rollout-types';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe('a wave in batches', () => {
  it('splits in order into batches of batchClusters, the last one smaller', () => {
    expect(batchesOf(ids(5), 2)).toEqual([['c0', 'c1'], ['c2', 'c3'], ['c4']]);
    expect(batchesOf(ids(3), 100)).toEqual([ids(3)]);
    expect(batchesOf([], 100)).toEqual([]);
  });

  it('10,000 clusters at the default 100 are 100 batches; each cluster in exactly one', () => {
    const batches = batchesOf(ids(10_000), 100);
    expect(batches).toHaveLength(100);
    expect(batches.flat()).toEqual(ids(10_000));
  });

  it('never makes more than MAX_BATCHES_PER_STEP batches: a batch grows instead', () => {
    const batches = batchesOf(ids(100_000), 1);
    expect(batches).toHaveLength(MAX_BATCHES_PER_STEP);
    expect(batches[0]).toHaveLength(100_000 / MAX_BATCHES_PER_STEP);
    expect(batches.flat()).toHaveLength(100_000);
    expect(batchesOf(ids(100_001), 1).length).toBeLessThanOrEqual(MAX_BATCHES_PER_STEP);
  });

  it('the failure budget is over the whole wave, not per batch', () => {
    // 10% of a 10,000-cluster wave is 1,000, whatever the batches: one bad batch of 100 stays within it.
    expect(failureBudget('10%', 10_000)).toBe(1000);
    expect(failureBudget('10%', 100)).toBe(10);
    expect(failureBudget(3, 10_000)).toBe(3);
  });

  it('counts clusters per state', () => {
    const cp = (id: string, state: ClusterProgress['state']): ClusterProgress => ({ id, state, commit: null, healthy: state === 'healthy' });
    expect(countStates([cp('a', 'healthy'), cp('b', 'failed'), cp('c', 'healthy'), cp('d', 'unreachable')])).toEqual({ healthy: 2, failed: 1, unreachable: 1 });
  });

  it('names all clusters of a small wave and the first 20 of a large one', () => {
    expect(clusterList(['a', 'b'])).toBe('a, b');
    expect(clusterList(ids(25))).toBe(`25 clusters (${ids(20).join(', ')} and 5 more)`);
  });

  it('picks the entries a wave needs from the fleet-wide map', () => {
    expect(pick({ a: 'x', b: undefined, c: 'z' }, ['a', 'b', 'd'])).toEqual({ a: 'x', b: undefined });
  });
});
