import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeWorkflowBundle } from '../../scripts/bundle-workflows';
import { HISTORY_FIXTURES, replayHistories, type RecordedHistory } from '../support/replay-histories';

const WORKFLOW_TYPES = [
  'reconcileCluster', 'rollout', 'rolloutWave', 'rolloutBatch', 'driftCheck', 'driftSweep', 'pollConfigRepo', 'observeCluster', 'session',
  'anchorBatcher', 'anchorBatch', 'anchorIndexer', 'monthlyPayout', 'payoutBatch', 'scheduledPayout', 'replicateSession', 'repairReplicas', 'proposal',
];

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-replay-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('replay of recorded workflow histories', () => {
  it('replays every committed fixture history', async () => {
    const files = fs.readdirSync(HISTORY_FIXTURES).filter((f) => f.endsWith('.json'));
    for (const t of WORKFLOW_TYPES) expect(files.some((f) => f.startsWith(`${t}-`))).toBe(true);
    const histories = files.map((f) => JSON.parse(fs.readFileSync(path.join(HISTORY_FIXTURES, f), 'utf8')) as RecordedHistory);
    const codePath = path.join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(codePath);
    expect(await replayHistories({ codePath }, histories)).toEqual([]);
  });
});
