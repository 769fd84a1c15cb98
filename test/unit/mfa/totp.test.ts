import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  generateTotp,
  generateTotpSecret,
  provisioningUri,
  secretFromAscii,
  secretFromBase32,
  secretToBase32,
  timeStepAt,
  verifyTotp,
} from '../../../src/mfa/totp.js';
import type { TotpAlgorithm, TotpDigits } from '../../../src/mfa/totp.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vectorsPath = path.resolve(repoRoot, '../shared/testdata/rfc6238-vectors.tsv');

interface Vector {
  algorithm: TotpAlgorithm;
  secretAscii: string;
  timeS: number;
  digits: TotpDigits;
  stepS: number;
  expected: string;
}

function loadVectors(): Vector[] {
  const lines = readFileSync(vectorsPath, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines.shift()?.split('\t');
  expect(header).toEqual(['algorithm', 'secret_ascii', 'time_s', 'digits', 'step_s', 'expected']);
  return lines.map((line) => {
    const [algorithm, secretAscii, timeS, digits, stepS, expected] = line.split('\t');
    if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') throw new Error(`bad algorithm in ${line}`);
    const d = Number(digits);
    if (d !== 6 && d !== 8) throw new Error(`bad digits in ${line}`);
    if (secretAscii === undefined || timeS === undefined || stepS === undefined || expected === undefined) throw new Error(`short row ${line}`);
    return { algorithm, secretAscii, timeS: Number(timeS), digits: d, stepS: Number(stepS), expected };
  });
}

const vectors = loadVectors();

describe('RFC 6238 appendix B vectors', () => {
  it('the vector file has every row for SHA1, SHA256 and SHA512 with 8 digits', () => {
    expect(vectors).toHaveLength(18);
    for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
      expect(vectors.filter((v) => v.algorithm === alg && v.digits === 8)).toHaveLength(6);
    }
  });

  it.each(vectors.map((v) => [`${v.algorithm} t=${v.timeS}`, v] as const))('%s generates and verifies', (_name, v) => {
    const raw = secretFromAscii(v.secretAscii);
    const now = v.timeS * 1000;
    const params = { algorithm: v.algorithm, digits: v.digits, period: v.stepS };
    // Raw bytes and their Base32 form give the same code.
    expect(generateTotp({ secret: raw, now, ...params })).toBe(v.expected);
    expect(generateTotp({ secret: secretToBase32(raw), now, ...params })).toBe(v.expected);

    const step = Math.floor(v.timeS / v.stepS);
    expect(timeStepAt(now, v.stepS)).toBe(step);
    expect(verifyTotp({ secret: raw, code: v.expected, now, ...params, window: 0, lastAcceptedStep: null })).toEqual({ valid: true, step });
    expect(verifyTotp({ secret: secretToBase32(raw), code: v.expected, now, ...params, lastAcceptedStep: null })).toEqual({ valid: true, step });

    const wrong = ((Number(v.expected[0]) + 1) % 10).toString() + v.expected.slice(1);
    expect(verifyTotp({ secret: raw, code: wrong, now, ...params, window: 0, lastAcceptedStep: null })).toEqual({ valid: false, reason: 'invalid' });
  });
});

describe('secrets and provisioning URI', () => {
  it('generates 160-bit Base32 secrets by default, refuses fewer than 20 bytes', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(a).not.toBe(b);
    expect(secretFromBase32(a)).toHaveLength(20);
    expect(secretFromBase32(generateTotpSecret(32))).toHaveLength(32);
    expect(secretFromBase32(generateTotpSecret(64))).toHaveLength(64);
    expect(() => generateTotpSecret(16)).toThrow(RangeError);
    expect(() => generateTotpSecret(19)).toThrow(RangeError);
  });

  it('tolerates lower case, spaces and padding in a Base32 secret; rejects non-Base32', () => {
    const s = generateTotpSecret();
    const now = 1_700_000_000_000;
    const code = generateTotp({ secret: s, now });
    const spaced = s.toLowerCase().replace(/(.{4})/g, '$1 ');
    expect(generateTotp({ secret: spaced, now })).toBe(code);
    expect(() => generateTotp({ secret: 'NOT-BASE32-0189!', now })).toThrow(TypeError);
    expect(() => verifyTotp({ secret: '', code: '123456', now, lastAcceptedStep: null })).toThrow(TypeError);
  });

  it('builds an otpauth URI with issuer, account and non-default parameters', () => {
    const secret = generateTotpSecret(32);
    const uri = provisioningUri({ secret, issuer: 'ACME PBX', account: 'ext 201', algorithm: 'SHA256', digits: 8, period: 60 });
    const u = new URL(uri);
    expect(u.protocol).toBe('otpauth:');
    expect(u.host).toBe('totp');
    expect(decodeURIComponent(u.pathname)).toBe('/ACME PBX:ext 201');
    expect(u.searchParams.get('secret')).toBe(secret);
    expect(u.searchParams.get('issuer')).toBe('ACME PBX');
    expect(u.searchParams.get('algorithm')).toBe('SHA256');
    expect(u.searchParams.get('digits')).toBe('8');
    expect(u.searchParams.get('period')).toBe('60');
  });

  it('omits default parameters and refuses an issuer with a colon', () => {
    const secret = generateTotpSecret();
    const u = new URL(provisioningUri({ secret, issuer: 'sipwarden', account: 'admin alice' }));
    expect(u.searchParams.get('secret')).toBe(secret);
    expect(u.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(u.searchParams.get('digits') ?? '6').toBe('6');
    expect(u.searchParams.get('period') ?? '30').toBe('30');
    expect(() => provisioningUri({ secret, issuer: 'a:b', account: 'x' })).toThrow(TypeError);
    expect(() => provisioningUri({ secret, issuer: 'a', account: ' ' })).toThrow(TypeError);
  });
});

describe('verification window', () => {
  const secret = secretToBase32(secretFromAscii('12345678901234567890'));
  // Mid-step, the first ms of a step, the last ms of a step.
  const times = [1_700_000_000_000, 1_699_999_980_000, 1_700_000_009_999];

  it.each(times)('at %d: steps -1, 0, +1 accepted with window 1; -2 and +2 rejected', (now) => {
    const step = timeStepAt(now);
    const codeAt = (offset: number): string => generateTotp({ secret, now: now + offset * 30_000 });
    for (const offset of [-1, 0, 1]) {
      expect(verifyTotp({ secret, code: codeAt(offset), now, window: 1, lastAcceptedStep: null })).toEqual({ valid: true, step: step + offset });
    }
    for (const offset of [-2, 2]) {
      expect(verifyTotp({ secret, code: codeAt(offset), now, window: 1, lastAcceptedStep: null })).toEqual({ valid: false, reason: 'invalid' });
    }
  });

  it('window 1 is the default; window 0 accepts only the current step; window 2 reaches ±2', () => {
    const now = 1_700_000_015_000;
    const step = timeStepAt(now);
    const prev = generateTotp({ secret, now: now - 30_000 });
    const prev2 = generateTotp({ secret, now: now - 60_000 });
    expect(verifyTotp({ secret, code: prev, now, lastAcceptedStep: null })).toEqual({ valid: true, step: step - 1 });
    expect(verifyTotp({ secret, code: prev, now, window: 0, lastAcceptedStep: null })).toEqual({ valid: false, reason: 'invalid' });
    expect(verifyTotp({ secret, code: prev2, now, window: 2, lastAcceptedStep: null })).toEqual({ valid: true, step: step - 2 });
    expect(() => verifyTotp({ secret, code: prev, now, window: 11, lastAcceptedStep: null })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code: prev, now, window: -1, lastAcceptedStep: null })).toThrow(RangeError);
  });

  it('works for every algorithm, 6 and 8 digits, another period', () => {
    const s = secretToBase32(secretFromAscii('1234567890'.repeat(6) + '1234'));
    const now = 1_234_567_890_123;
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      for (const digits of [6, 8] as const) {
        const code = generateTotp({ secret: s, now, algorithm, digits, period: 60 });
        expect(code).toMatch(new RegExp(`^[0-9]{${digits}}$`));
        expect(verifyTotp({ secret: s, code, now, algorithm, digits, period: 60, lastAcceptedStep: null })).toEqual({ valid: true, step: timeStepAt(now, 60) });
        // Same code checked with the wrong algorithm does not pass.
        const other = algorithm === 'SHA1' ? 'SHA256' : 'SHA1';
        expect(verifyTotp({ secret: s, code, now, algorithm: other, digits, period: 60, lastAcceptedStep: null }).valid).toBe(false);
      }
    }
  });
});

describe('replay protection', () => {
  // Fixed secret and time: no chance collisions between steps make the outcome vary.
  const secret = secretToBase32(secretFromAscii('12345678901234567890'));
  const now = 1_700_000_015_000;
  const step = timeStepAt(now);
  const codeAt = (offset: number): string => generateTotp({ secret, now: now + offset * 30_000 });

  it('refuses the same step twice', () => {
    const code = codeAt(0);
    const first = verifyTotp({ secret, code, now, lastAcceptedStep: null });
    expect(first).toEqual({ valid: true, step });
    expect(verifyTotp({ secret, code, now, lastAcceptedStep: step })).toEqual({ valid: false, reason: 'replay' });
    // Still refused 20 s later, inside the window.
    expect(verifyTotp({ secret, code, now: now + 20_000, lastAcceptedStep: step })).toEqual({ valid: false, reason: 'replay' });
  });

  it('refuses an older step after a newer one, even inside the window', () => {
    // The client clock is ahead: step+1 accepted first.
    expect(verifyTotp({ secret, code: codeAt(1), now, lastAcceptedStep: null })).toEqual({ valid: true, step: step + 1 });
    expect(verifyTotp({ secret, code: codeAt(0), now, lastAcceptedStep: step + 1 })).toEqual({ valid: false, reason: 'replay' });
    expect(verifyTotp({ secret, code: codeAt(-1), now, lastAcceptedStep: step + 1 })).toEqual({ valid: false, reason: 'replay' });
    // A wrong code is still just invalid.
    const wrong = codeAt(0) === '000000' ? '000001' : '000000';
    expect(verifyTotp({ secret, code: wrong, now, lastAcceptedStep: step + 1 }).valid).toBe(false);
  });

  it('accepts a newer step after an older one', () => {
    expect(verifyTotp({ secret, code: codeAt(-1), now, lastAcceptedStep: null })).toEqual({ valid: true, step: step - 1 });
    expect(verifyTotp({ secret, code: codeAt(0), now, lastAcceptedStep: step - 1 })).toEqual({ valid: true, step });
    expect(verifyTotp({ secret, code: codeAt(1), now, lastAcceptedStep: step })).toEqual({ valid: true, step: step + 1 });
  });

  it('does not throw when lastAcceptedStep is beyond the window (clock went back)', () => {
    expect(verifyTotp({ secret, code: codeAt(0), now, lastAcceptedStep: step + 100 })).toEqual({ valid: false, reason: 'replay' });
    expect(verifyTotp({ secret, code: '000000', now, lastAcceptedStep: step + 100 }).valid).toBe(false);
    expect(verifyTotp({ secret, code: codeAt(0), now, lastAcceptedStep: -1 })).toEqual({ valid: true, step });
  });
});

describe('malformed codes', () => {
  const secret = generateTotpSecret();
  const now = 1_700_000_015_000;

  it.each([
    ['empty', ''],
    ['too short', '12345'],
    ['too long', '1234567'],
    ['8 digits for a 6-digit token', '12345678'],
    ['letters', 'abcdef'],
    ['mixed', '12a456'],
    ['sign', '-12345'],
    ['decimal', '12.456'],
    ['full-width digits', '１２３４５６'],
    ['arabic-indic digits', '١٢٣٤٥٦'],
    ['very long', '1'.repeat(10_000)],
  ])('%s → malformed, no exception', (_name, code) => {
    expect(verifyTotp({ secret, code, now, lastAcceptedStep: null })).toEqual({ valid: false, reason: 'malformed' });
  });

  it('non-string input → malformed', () => {
    expect(verifyTotp({ secret, code: 123456 as unknown as string, now, lastAcceptedStep: null })).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyTotp({ secret, code: null as unknown as string, now, lastAcceptedStep: null })).toEqual({ valid: false, reason: 'malformed' });
  });

  it('spaces inside or around a correct code are ignored', () => {
    const code = generateTotp({ secret, now });
    const spaced = ` ${code.slice(0, 3)} ${code.slice(3)} `;
    expect(verifyTotp({ secret, code: spaced, now, lastAcceptedStep: null })).toEqual({ valid: true, step: timeStepAt(now) });
  });

  it('bad parameters are caller errors (thrown)', () => {
    expect(() => verifyTotp({ secret, code: '123456', now: -1, lastAcceptedStep: null })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code: '123456', now: Number.NaN, lastAcceptedStep: null })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code: '123456', now, digits: 7 as TotpDigits, lastAcceptedStep: null })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code: '123456', now, algorithm: 'MD5' as TotpAlgorithm, lastAcceptedStep: null })).toThrow(TypeError);
    expect(() => verifyTotp({ secret, code: '123456', now, period: 0, lastAcceptedStep: null })).toThrow(RangeError);
    expect(() => verifyTotp({ secret, code: '123456', now, lastAcceptedStep: 1.5 })).toThrow(RangeError);
  });
});
