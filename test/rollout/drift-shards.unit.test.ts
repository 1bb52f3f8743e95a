import { DRIFT_SHARD_CLUSTERS, driftShards } from '../../triggers/drift-shards';

const ids = (n: number, prefix = 'pi') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('drift shards', () => {
  it('puts a small fleet in one sweep, sorted', () => {
    expect(driftShards(['b', 'a', 'c'])).toEqual([['a', 'b', 'c']]);
    expect(driftShards([])).toEqual([[]]);
  });

  it('covers every cluster exactly once, with one Schedule per 250 clusters', () => {
    const fleet = ids(10_000);
    const shards = driftShards(fleet);
    expect(shards).toHaveLength(10_000 / DRIFT_SHARD_CLUSTERS);
    expect(shards.flat().sort()).toEqual([...fleet].sort());
    // A hash spreads the fleet evenly enough that no sweep is twice the average.
    for (const s of shards) expect(s.length).toBeLessThan(2 * DRIFT_SHARD_CLUSTERS);
  });

  it('moves no cluster when one joins or leaves without changing the shard count', () => {
    const fleet = ids(600);
    const before = driftShards(fleet);
    const after = driftShards([...fleet.slice(1), 'newcomer']);
    expect(after).toHaveLength(before.length);
    for (const [i, shard] of before.entries()) {
      expect(after[i]!.filter((id) => id !== 'newcomer')).toEqual(shard.filter((id) => id !== fleet[0]));
    }
  });

  it('counts a duplicate id once', () => {
    expect(driftShards(['a', 'a', 'b'])).toEqual([['a', 'b']]);
  });
});
