import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pruneTrees } from '../../repo/tree-pruning';

describe('pruneTrees', () => {
  it('keeps the newest trees and the ones in use, and drops stale crash leftovers only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trees-'));
    const make = (name: string, ageMinutes: number) => {
      fs.mkdirSync(path.join(dir, name));
      const t = new Date(Date.now() - ageMinutes * 60000);
      fs.utimesSync(path.join(dir, name), t, t);
    };
    for (let i = 0; i < 8; i++) make(`sha${i}`, i);
    make('.sha9-crashed', 30);
    make('.sha10-in-progress', 1);

    pruneTrees(dir, ['sha7'], 5);

    expect(fs.readdirSync(dir).sort()).toEqual(['.sha10-in-progress', 'sha0', 'sha1', 'sha2', 'sha3', 'sha4', 'sha7']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
