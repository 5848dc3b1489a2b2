import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContinuationSealer } from '../../lib/paging/continuation-sealer.js';

const SECRET = 'unit-test-secret-of-at-least-32-characters';
const sealer = ContinuationSealer.fromSecret(SECRET);
const binding = ['records', ['0301', 's1'], 'SELECT * FROM c', []] as const;
const refused = expect.objectContaining({ status: 400, slug: 'invalid-continuation-token' });
const envelope = (token: string) => JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v: number; c: string; m: string };
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('continuation tokens bound to their list', () => {
  it('opens what it sealed for the same binding; no token is no token', () => {
    const token = sealer.seal(binding, 'inner-token');
    expect(sealer.open(binding, token)).toBe('inner-token');
    expect(sealer.open(binding, undefined)).toBeUndefined();
    expect(envelope(token)).toMatchObject({ v: 2, c: 'inner-token' });
  });

  it('refuses a token sealed for another list, partition, filter or parameters', () => {
    const token = sealer.seal(binding, 'inner-token');
    for (const other of [['exports', ...binding.slice(1)], [binding[0], ['0302', 's1'], binding[2], binding[3]], [...binding.slice(0, 2), 'SELECT c.id FROM c', []], [...binding.slice(0, 3), [1]]]) {
      expect(() => sealer.open(other, token)).toThrow(refused);
    }
  });

  it('refuses a token sealed with another secret, and a changed inner token', () => {
    const foreign = ContinuationSealer.fromSecret('another-secret-of-at-least-32-characters!');
    expect(() => sealer.open(binding, foreign.seal(binding, 'inner-token'))).toThrow(refused);
    const token = envelope(sealer.seal(binding, 'inner-token'));
    expect(() => sealer.open(binding, encode({ ...token, c: 'inner-tokeN' }))).toThrow(refused);
  });

  it('refuses what is not an envelope: not JSON, another version, extra or missing fields, a short MAC', () => {
    const token = envelope(sealer.seal(binding, 'inner-token'));
    for (const bad of ['not-base64-json', encode({ ...token, v: 1 }), encode({ ...token, x: 1 }), encode({ v: 2, c: 'inner-token' }), encode({ ...token, m: token.m.slice(0, 10) }), encode({ ...token, m: '' })]) {
      expect(() => sealer.open(binding, bad), bad).toThrow(refused);
    }
  });

  it('MACs with a key derived from the secret under its own label, never with the secret itself', () => {
    const mac = (key: Buffer | string) => createHmac('sha256', key).update(JSON.stringify([binding, 'inner-token'])).digest('base64url');
    const derived = Buffer.from(hkdfSync('sha256', SECRET, '', 'engage/continuation-token/v2', 32));
    const { m } = envelope(sealer.seal(binding, 'inner-token'));
    expect(m).toBe(mac(derived));
    expect(m).not.toBe(mac(SECRET));
  });

  it('binds the parts unambiguously: moving text between parts changes the seal', () => {
    const token = sealer.seal(['a', 'bc'], 'x');
    expect(() => sealer.open(['ab', 'c'], token)).toThrow(refused);
    expect(() => sealer.open(['a', 'bc'], sealer.seal(['a', 'bc'], 'y').replace(/.$/, ''))).toThrow(refused);
  });
});
