import { randomBytes } from 'node:crypto';
import { checkRequest, MAX_SKEW_MS, signRequest } from '../../sessions/chunk-host-auth';

const KEY = randomBytes(32);
const LEAF = `/chunks/${'ab'.repeat(32)}`;

describe('a chunk host request signature', () => {
  it('names who signed a request signed with the fleet key for that method and path', () => {
    expect(checkRequest(KEY, 'GET', LEAF, signRequest(KEY, 'GET', LEAF, 'n-b'))).toEqual({ from: 'n-b' });
  });

  it('is refused for another key, path, method or signer, or when missing or malformed', () => {
    const header = signRequest(KEY, 'GET', LEAF, 'n-b');
    expect(checkRequest(randomBytes(32), 'GET', LEAF, header)).toEqual({ refused: 'bad signature' });
    expect(checkRequest(KEY, 'GET', `/chunks/${'cd'.repeat(32)}`, header)).toEqual({ refused: 'bad signature' });
    expect(checkRequest(KEY, 'PUT', LEAF, header)).toEqual({ refused: 'bad signature' });
    expect(checkRequest(KEY, 'GET', LEAF, header.replace('from=n-b', 'from=n-c'))).toEqual({ refused: 'bad signature' });
    expect(checkRequest(KEY, 'GET', LEAF, undefined)).toEqual({ refused: 'no Authorization header' });
    expect(checkRequest(KEY, 'GET', LEAF, 'Bearer abc')).toEqual({ refused: expect.stringMatching(/^Authorization is not Lucid-Chunk-Host/) });
  });

  it('is refused when signed too long before or after now, so a captured request cannot be replayed later', () => {
    const at = Date.now();
    const header = signRequest(KEY, 'GET', LEAF, 'n-b', at);
    expect(checkRequest(KEY, 'GET', LEAF, header, at + MAX_SKEW_MS)).toEqual({ from: 'n-b' });
    expect(checkRequest(KEY, 'GET', LEAF, header, at + MAX_SKEW_MS + 1)).toEqual({ refused: expect.stringMatching(/more than 5 min from now$/) });
    expect(checkRequest(KEY, 'GET', LEAF, header, at - MAX_SKEW_MS - 1)).toEqual({ refused: expect.stringMatching(/more than 5 min from now$/) });
  });
});
