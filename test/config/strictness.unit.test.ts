import { loadFleetConfig } from '../../config/fleet-config';
import { COMPOSE_FILE, INVENTORY_FILE, VALID_COMPOSE, VALID_INVENTORY, configError, envFile, removeTrees, writeTree } from './fixture-tree';

afterEach(removeTrees);

describe('checks that close loopholes', () => {
  it('refuses an env path that escapes clusters/<id>/', () => {
    const inv = VALID_INVENTORY.replace('env: clusters/sess-1/.env', 'env: clusters/../.env');
    const e = configError(() => loadFleetConfig(writeTree({ [INVENTORY_FILE]: inv, '.env': envFile('sess-1', ['sessions']) })));
    expect(e.file).toBe(INVENTORY_FILE);
    expect(e.field).toBe('clusters[1].env');
    expect(e.reason).toContain("must be 'clusters/sess-1/.env'");
  });

  it('refuses a profile listed twice', () => {
    const inv = VALID_INVENTORY.replace('profiles: [sessions]', 'profiles: [sessions, sessions]');
    const e = configError(() => loadFleetConfig(writeTree({ [INVENTORY_FILE]: inv })));
    expect(e.field).toBe('clusters[1].profiles');
    expect(e.reason).toContain('twice');
  });

  it('refuses a shard range whose low end exceeds its high end', () => {
    const env = envFile('sess-1', ['sessions'], { set: { MONGO_SHARD_RANGE: '900-1' } });
    const e = configError(() => loadFleetConfig(writeTree({ 'clusters/sess-1/.env': env })));
    expect(e.file).toBe('clusters/sess-1/.env');
    expect(e.field).toBe('MONGO_SHARD_RANGE');
    expect(e.reason).toContain('low must not exceed high');
  });

  it('refuses a TOR_SOCKS port out of range', () => {
    const env = envFile('sess-1', ['sessions'], { set: { TOR_SOCKS: 'beta:99999' } });
    const e = configError(() => loadFleetConfig(writeTree({ 'clusters/sess-1/.env': env })));
    expect(e.field).toBe('TOR_SOCKS');
    expect(e.reason).toContain('1-65535');
  });

  it('says a missing CLUSTER_ID is required', () => {
    const env = envFile('sess-1', ['sessions']).replace(/^CLUSTER_ID=.*\n/m, '');
    const e = configError(() => loadFleetConfig(writeTree({ 'clusters/sess-1/.env': env })));
    expect(e.field).toBe('CLUSTER_ID');
    expect(e.reason).toBe('is required');
  });

  it('says a service without image needs one', () => {
    const compose = `${VALID_COMPOSE}  no-image:\n    profiles: [sessions]\n`;
    const e = configError(() => loadFleetConfig(writeTree({ [COMPOSE_FILE]: compose })));
    expect(e.field).toBe('services.no-image.image');
    expect(e.reason).toContain('every service needs an image');
  });
});

describe('wave gates in clusters.yaml', () => {
  const withWaves = (waves: string) =>
    writeTree({ [INVENTORY_FILE]: `${waves}\n${VALID_INVENTORY.replace('wave: edge', 'wave: canary')}` });

  it('fills defaults for bare names and keeps explicit gates', () => {
    const inv = loadFleetConfig(
      withWaves('waves:\n  - name: canary\n    maxUnavailable: "50%"\n    soakSeconds: 30\n    approval: true\n    windows: ["* 2-4 * * *"]\n  - core'),
    ).inventory;
    expect(inv.waves).toEqual([
      { name: 'canary', maxUnavailable: '50%', soakSeconds: 30, approval: true, windows: ['* 2-4 * * *'], pickupTimeoutSeconds: 60, reconcileTimeoutSeconds: 1800 },
      { name: 'core', maxUnavailable: 0, soakSeconds: 0, approval: false, windows: [], pickupTimeoutSeconds: 60, reconcileTimeoutSeconds: 1800 },
    ]);
  });

  it('refuses a reconcile deadline too short for any health wait', () => {
    const e = configError(() => loadFleetConfig(withWaves('waves:\n  - name: canary\n    reconcileTimeoutSeconds: 5\n  - core')));
    expect(e.field).toBe('waves[0].reconcileTimeoutSeconds');
    expect(e.reason).toMatch(/10/);
  });

  it('refuses a malformed change window with its position', () => {
    const e = configError(() => loadFleetConfig(withWaves('waves:\n  - name: canary\n    windows: ["* 25 * * *"]\n  - core')));
    expect(e.field).toBe('waves[0].windows[0]');
    expect(e.reason).toMatch(/hour '25'/);
  });

  it('refuses a bad budget and a duplicate wave', () => {
    expect(configError(() => loadFleetConfig(withWaves('waves:\n  - name: canary\n    maxUnavailable: "150%"\n  - core'))).field).toBe(
      'waves[0].maxUnavailable',
    );
    expect(configError(() => loadFleetConfig(withWaves('waves: [canary, core, canary]'))).reason).toMatch(/twice/);
  });
});
