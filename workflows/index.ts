export { reconcileCluster } from './reconcile-cluster';
export { observeCluster } from './observe-cluster';
export { rollout } from './rollout';
export { driftCheck } from './drift-check';
export { pollConfigRepo } from './poll-config-repo';
export { session } from './session';
