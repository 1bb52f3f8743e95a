import { formatClusterEnv, parseClusterEnv } from '../../config/cluster-env';
import { configError } from './fixture-tree';

const FILE = 'clusters/edge-node-1/.env';
const MAX = { max: 500, setting: 'clusterEnv.maxKeys' };
const parse = (text: string) => parseClusterEnv(FILE, text, MAX);

describe('clusters/<id>/.env syntax: accepted', () => {
  it('reads KEY=VALUE lines, skipping blank and comment lines', () => {
    expect(parse('# header\n\nA=1\n   # indented comment\nB_2=two words\n\n')).toEqual({ A: '1', B_2: 'two words' });
  });

  it('quotes keep what is inside, including # and surrounding spaces', () => {
    expect(parse(`A=" x #y "\nB=' z '\nC=""\n`)).toEqual({ A: ' x #y ', B: ' z ', C: '' });
  });

  it('a # after whitespace starts a comment in an unquoted value; one inside a word does not', () => {
    expect(parse('A=v  # note\nB=#fff\nC=a#b\nD="q" # after quotes\n')).toEqual({ A: 'v', B: '#fff', C: 'a#b', D: 'q' });
  });

  it('takes CRLF line ends, = inside values and an empty value', () => {
    expect(parse('A=x=y\r\nB=\r\nURL=https://h:9/p?q=1&r=2\r\n')).toEqual({ A: 'x=y', B: '', URL: 'https://h:9/p?q=1&r=2' });
  });

  it('keeps a key named __proto__ as data', () => {
    const env = parse('__proto__=x\n');
    expect(Object.keys(env)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });
});

describe('clusters/<id>/.env syntax: refused with the line and why', () => {
  it.each<[string, string, string]>([
    ['this line is not KEY=VALUE', 'line 2', "'this line is not KEY' before '=' is not a variable name (letters, digits and _, not starting with a digit, no spaces)"],
    ['JUST_A_WORD', 'line 2', "is not KEY=VALUE (no '='); every line is KEY=VALUE, a # comment or blank"],
    ['export B=1', 'line 2', "'export B' before '=' is not a variable name (letters, digits and _, not starting with a digit, no spaces)"],
    ['B = 1', 'line 2', "'B ' before '=' is not a variable name (letters, digits and _, not starting with a digit, no spaces)"],
    ['1B=1', 'line 2', "'1B' before '=' is not a variable name (letters, digits and _, not starting with a digit, no spaces)"],
    ['A=2', 'line 2', 'A is already set on line 1'],
    ['B="open', 'line 2', 'the value of B opens a " it never closes'],
    ["B='a' b", 'line 2', "the value of B has text after its closing ' (only a # comment may follow)"],
  ])('%j', (line, field, reason) => {
    expect(configError(() => parse(`A=1\n${line}\n`)).toJSON()).toEqual({ file: FILE, field, reason });
  });

  it.each([
    ['B=${HOME}', "'$'"],
    ['B="$HOME"', "'$'"],
    ['B="a\\nb"', "'\\'"],
    ['B=it"s', `'"'`],
    ["B='say \"hi\"'", `'"'`],
    ['B=a\tb', 'a control character'],
  ])('%j: values are literal', (line, what) => {
    const e = configError(() => parse(`A=1\n${line}\n`));
    expect(e.field).toBe('line 2');
    expect(e.reason).toBe(
      `the value of B contains ${what}: values are literal (no escapes or interpolation), so ", \\, $ and control characters are not allowed`,
    );
  });

  it('names a long bad key only by its start', () => {
    expect(configError(() => parse(`${'word '.repeat(20)}=x\n`)).reason).toMatch(/^'(word ){8}…' before '='/);
  });

  it('counts keys against the limit it is given', () => {
    const text = Array.from({ length: 4 }, (_, i) => `K${i}=1\n`).join('');
    expect(Object.keys(parseClusterEnv(FILE, text, { max: 4, setting: 'clusterEnv.maxKeys' }))).toHaveLength(4);
    expect(configError(() => parseClusterEnv(FILE, text, { max: 3, setting: 'clusterEnv.maxKeys' })).toJSON()).toEqual({
      file: FILE,
      field: '(file)',
      reason: 'lists 4 keys, over the limit of 3 (raise clusterEnv.maxKeys in policies/limits.yaml)',
    });
  });
});

describe('formatClusterEnv', () => {
  it('writes what parseClusterEnv reads back unchanged', () => {
    const env = parse(`A=1\nB=" x #y "\nC=it's\nD=#fff\nE=\nF=\`tick\` 'q'\n`);
    expect(env).toEqual({ A: '1', B: ' x #y ', C: "it's", D: '#fff', E: '', F: "`tick` 'q'" });
    expect(parse(formatClusterEnv(env))).toEqual(env);
    expect(formatClusterEnv(env)).toBe(`A="1"\nB=" x #y "\nC="it's"\nD="#fff"\nE=""\nF="\`tick\` 'q'"\n`);
  });
});
