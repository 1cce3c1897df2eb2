// sdks/testdata/restriction-vectors.json: the conformance suite shared with the server and the
// other SDKs. Every case must agree; paths_bytes runs too (raw bytes as a Uint8Array).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { branchPatternWithin, decide, narrowRestrictions, pathPatternWithin } from '@archon/auth-client/tool-server';

const file = fileURLToPath(new URL('../../../testdata/restriction-vectors.json', import.meta.url));
const suite = JSON.parse(readFileSync(file, 'utf8')) as {
  version: number; groups: { name: string; kind: 'decision' | 'within' | 'narrow'; cases: { id: string; input: any; expected: any }[] }[];
};

function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

function run(kind: string, input: any): any {
  if (kind === 'decision') {
    const { path_hex: hex, ...resource } = input.resource;
    const d = decide(input.restrictions, hex === undefined ? resource : { ...resource, path: hexBytes(hex) });
    return { allowed: d.allowed, reason: d.reason };
  }
  if (kind === 'within') {
    const within = input.list === 'file_paths' ? pathPatternWithin : branchPatternWithin;
    return { allowed: within(input.child, input.parent) };
  }
  const r = narrowRestrictions(input.parent, input.requested);
  return r.ok ? { allowed: true, restrictions: r.value } : { allowed: false, error: r.error };
}

describe('restriction vectors', () => {
  it('has the format this reader knows', () => {
    expect(suite.version).toBe(1);
    expect(suite.groups.map((g) => g.kind).every((k) => ['decision', 'within', 'narrow'].includes(k))).toBe(true);
  });

  for (const group of suite.groups) {
    describe(`${group.name} (${group.cases.length})`, () => {
      it.each(group.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
        const got = run(group.kind, c.input);
        if (group.kind === 'narrow' && !c.expected.allowed) {
          expect(got.allowed).toBe(false);
          expect(got.error).toBe(c.expected.error); // the same message as the reference, though not required
        } else {
          expect(got).toEqual(c.expected);
        }
      });
    });
  }

  it('counts', () => {
    const total = suite.groups.reduce((n, g) => n + g.cases.length, 0);
    console.log(`restriction vectors: ${total} cases in ${suite.groups.length} groups`);
    expect(total).toBeGreaterThan(300);
  });
});
