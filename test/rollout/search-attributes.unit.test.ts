import { keywordListFits } from '../../workflows/search-attributes';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `pi-${String(i).padStart(4, '0')}`);

describe('search attribute limits', () => {
  it("keeps a small fleet's cluster list and drops one over Temporal's 2 KiB", () => {
    expect(keywordListFits(ids(3))).toBe(true);
    // 10 bytes an id in JSON: 204 ids fit, 205 do not (the 200-cluster bench fleet's longer ids measured 2,401 bytes).
    expect(keywordListFits(ids(204))).toBe(true);
    expect(keywordListFits(ids(205))).toBe(false);
  });
});
