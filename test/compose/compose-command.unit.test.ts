import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeCommand } from '../../compose/compose-cli';

describe('composeCommand', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-compose-cmd-'));
    fs.mkdirSync(path.join(dir, 'cli-plugins'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs LUCID_COMPOSE when set, as a standalone binary', () => {
    expect(composeCommand({ LUCID_COMPOSE: '/opt/compose', DOCKER_CONFIG: dir })).toEqual(['/opt/compose', []]);
  });

  it("runs the Docker CLI's compose plugin directly, from DOCKER_CONFIG's cli-plugins first", () => {
    const plugin = path.join(dir, 'cli-plugins', 'docker-compose');
    fs.writeFileSync(plugin, '#!/bin/sh\n', { mode: 0o755 });
    expect(composeCommand({ DOCKER_CONFIG: dir, HOME: '/nonexistent' })).toEqual([plugin, []]);
  });

  it('passes over a plugin file it cannot execute, and a directory of that name', () => {
    const plugin = path.join(dir, 'cli-plugins', 'docker-compose');
    fs.writeFileSync(plugin, '#!/bin/sh\n', { mode: 0o644 });
    expect(composeCommand({ DOCKER_CONFIG: dir })[0]).not.toBe(plugin);
    fs.rmSync(plugin);
    fs.mkdirSync(plugin);
    expect(composeCommand({ DOCKER_CONFIG: dir })[0]).not.toBe(plugin);
  });
});
