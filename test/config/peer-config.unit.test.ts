import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { choosePeers, peerSettings } from '../../config/peer-config';

const KEY = randomBytes(32).toString('base64');

describe('the peers that hold a node\'s copies', () => {
  it('are the next nodes after the origin on the ring of sorted ids, wrapping around, never the origin', () => {
    const fleet = ['n-d', 'n-a', 'n-c', 'n-b'];
    expect(choosePeers('n-a', fleet, 1)).toEqual(['n-b']);
    expect(choosePeers('n-c', fleet, 2)).toEqual(['n-d', 'n-a']);
    expect(choosePeers('n-d', fleet, 3)).toEqual(['n-a', 'n-b', 'n-c']);
    // An origin missing from the list takes its place on the ring all the same.
    expect(choosePeers('n-bb', ['n-a', 'n-b', 'n-c'], 1)).toEqual(['n-c']);
    expect(choosePeers('n-a', ['n-a', 'n-a', 'n-b'], 1)).toEqual(['n-b']);
  });

  it('are the same whatever order the list is given in', () => {
    expect(choosePeers('n-b', ['n-c', 'n-a', 'n-b'], 2)).toEqual(choosePeers('n-b', ['n-a', 'n-b', 'n-c'], 2));
  });

  it('are refused when fewer other nodes are known than copies asked for', () => {
    expect(() => choosePeers('n-a', ['n-a', 'n-b'], 2)).toThrow('node n-a: 2 peer copies asked for, but only 1 other node(s) known: n-b');
    expect(() => choosePeers('n-a', ['n-a'], 1)).toThrow(/only 0 other node\(s\) known: none/);
  });
});

describe('LUCID_CHUNK_HOST_* and LUCID_PEER* (peerSettings)', () => {
  it('default to no peer copies and no chunk host: the behaviour from before peer copies', () => {
    expect(peerSettings('n-a', {})).toEqual({ copies: 0, peers: [] });
  });

  it('read a host, its URL, the key, the replication factor and the peers', () => {
    const s = peerSettings('n-a', { LUCID_CHUNK_HOST_LISTEN: '127.0.0.1:7480', LUCID_CHUNK_HOST_KEY: KEY, LUCID_PEER_COPIES: '1', LUCID_PEERS: 'n-a, n-b,,n-c' });
    expect(s).toEqual({ listen: { host: '127.0.0.1', port: 7480 }, url: 'http://127.0.0.1:7480', key: Buffer.from(KEY, 'base64'), copies: 1, peers: ['n-a', 'n-b', 'n-c'] });
    const behindProxy = peerSettings('n-a', { LUCID_CHUNK_HOST_LISTEN: '0.0.0.0:7480', LUCID_CHUNK_HOST_URL: 'https://n-a.lab:7480', LUCID_CHUNK_HOST_KEY: KEY });
    expect(behindProxy.url).toBe('https://n-a.lab:7480');
  });

  it('refuse copies asked for without enough peers, without a chunk host, or a host without a key', () => {
    expect(() => peerSettings('n-a', { LUCID_PEER_COPIES: '2', LUCID_PEERS: 'n-a,n-b', LUCID_CHUNK_HOST_LISTEN: '127.0.0.1:1', LUCID_CHUNK_HOST_KEY: KEY }))
      .toThrow('environment: LUCID_PEER_COPIES: asks for 2 peer copies but LUCID_PEERS lists 1 node(s) other than n-a');
    expect(() => peerSettings('n-a', { LUCID_PEER_COPIES: '1', LUCID_PEERS: 'n-b', LUCID_CHUNK_HOST_KEY: KEY }))
      .toThrow(/LUCID_CHUNK_HOST_LISTEN: is not set, but LUCID_PEER_COPIES is 1/);
    expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_LISTEN: '127.0.0.1:7480' }))
      .toThrow(/LUCID_CHUNK_HOST_KEY_FILE: is not set \(nor LUCID_CHUNK_HOST_KEY\), but LUCID_CHUNK_HOST_LISTEN is/);
  });

  it('name the bad variable and why', () => {
    expect(() => peerSettings('n-a', { LUCID_PEER_COPIES: '4' })).toThrow('environment: LUCID_PEER_COPIES: at most 3');
    expect(() => peerSettings('n-a', { LUCID_PEERS: 'n-b,n c' })).toThrow('environment: LUCID_PEERS: must be node ids separated by commas');
    expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_LISTEN: '7480' })).toThrow(/LUCID_CHUNK_HOST_LISTEN: must be host:port/);
    expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_LISTEN: 'localhost:70000', LUCID_CHUNK_HOST_KEY: KEY })).toThrow(/port must be 1-65535/);
    expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_KEY: 'c2hvcnQ=' })).toThrow('environment: LUCID_CHUNK_HOST_KEY: must be base64 of 32 bytes, got 5 bytes');
  });

  it('read the key from a file only on tmpfs and private to its owner', () => {
    const shm = fs.mkdtempSync(path.join('/dev/shm', 'lucid-peer-test-'));
    const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-peer-'));
    try {
      const write = (dir: string, mode: number) => {
        const file = path.join(dir, `key-${mode.toString(8)}`);
        fs.writeFileSync(file, `${KEY}\n`, { mode });
        return file;
      };
      expect(peerSettings('n-a', { LUCID_CHUNK_HOST_KEY_FILE: write(shm, 0o400) }).key).toEqual(Buffer.from(KEY, 'base64'));
      expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_KEY_FILE: write(shm, 0o644) })).toThrow(/mode 644 lets others read the key; chmod 400 it/);
      if (fs.statfsSync(disk).type !== 0x01021994) {
        expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_KEY_FILE: write(disk, 0o400) })).toThrow(/is on a disk \(file system 0x[0-9a-f]+\); the key only on tmpfs/);
      }
      expect(() => peerSettings('n-a', { LUCID_CHUNK_HOST_KEY_FILE: path.join(shm, 'none') })).toThrow(/LUCID_CHUNK_HOST_KEY_FILE: cannot read .*none: ENOENT/);
    } finally {
      fs.rmSync(shm, { recursive: true, force: true });
      fs.rmSync(disk, { recursive: true, force: true });
    }
  });
});
