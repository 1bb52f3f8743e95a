import { ConfigError } from '../../config/config-error';

describe('ConfigError', () => {
  const err = new ConfigError('clusters/clusters.yaml', 'clusters[1].id', "duplicate cluster id 'a' (first at clusters[0])");

  it('formats its message as `file: field: reason`', () => {
    expect(err.message).toBe("clusters/clusters.yaml: clusters[1].id: duplicate cluster id 'a' (first at clusters[0])");
  });

  it('keeps file, field and reason as separate properties', () => {
    expect(err.file).toBe('clusters/clusters.yaml');
    expect(err.field).toBe('clusters[1].id');
    expect(err.reason).toBe("duplicate cluster id 'a' (first at clusters[0])");
  });

  it('is a named Error subclass', () => {
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe('ConfigError');
    expect(String(err)).toBe(`ConfigError: ${err.message}`);
    expect(err.stack).toContain('ConfigError');
  });

  it('serialises to exactly {file, field, reason}', () => {
    expect(err.toJSON()).toEqual({
      file: 'clusters/clusters.yaml',
      field: 'clusters[1].id',
      reason: "duplicate cluster id 'a' (first at clusters[0])",
    });
    expect(Object.keys(err.toJSON())).toEqual(['file', 'field', 'reason']);
    expect(JSON.parse(JSON.stringify(err))).toEqual(err.toJSON());
    expect(JSON.stringify({ error: err })).toBe(
      '{"error":{"file":"clusters/clusters.yaml","field":"clusters[1].id","reason":"duplicate cluster id \'a\' (first at clusters[0])"}}',
    );
  });

  it('can be thrown and caught as a ConfigError', () => {
    expect(() => {
      throw new ConfigError('f', 'x', 'bad');
    }).toThrow(new ConfigError('f', 'x', 'bad'));
    expect(() => {
      throw new ConfigError('f', 'x', 'bad');
    }).toThrow('f: x: bad');
  });
});
