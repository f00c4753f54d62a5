import { describe, expect, it } from 'vitest';
import { KEY_RE, suggestKey } from './projectKey';

describe('suggestKey', () => {
  it('suggests a key the API takes from the project name', () => {
    expect(suggestKey('Website')).toBe('WEB');
    expect(suggestKey('Mobile App')).toBe('MA');
    expect(suggestKey('mobile app v2 beta release')).toBe('MAVB');
    expect(suggestKey('Ops')).toBe('OPS');
    expect(suggestKey('Café ünd Bar')).toBe('CUB');
    expect(suggestKey('2025 roadmap')).toBe('ROA');
  });
  it('suggests nothing when the name has no letter to start with', () => {
    expect(suggestKey('')).toBe('');
    expect(suggestKey('123 456')).toBe('');
    expect(suggestKey('日本語')).toBe('');
    expect(suggestKey('Q')).toBe('');
  });
  it('every suggestion is a valid key', () => {
    for (const n of ['Website', 'a b', 'X', 'Zz 9', 'API gateway', 'über-cool', 'R2 D2']) {
      const k = suggestKey(n);
      expect(k === '' || KEY_RE.test(k), `${n} -> ${k}`).toBe(true);
    }
  });
});
