/** policies/limits.yaml's `rollout` defaults; also the batching of a rollout whose plan was recorded without one. */
export const DEFAULT_ROLLOUT_BATCHING = Object.freeze({ batchClusters: 100, batchesAtOnce: 10 });
