/** Public surface of the MFA core (TOTP, backup codes, passwords, vault, lockout, service). */
export * from './totp.js';
export * from './qr.js';
export * from './scrypt-hash.js';
export * from './backup-codes.js';
export * from './password.js';
export * from './vault.js';
export * from './key-source.js';
export * from './lockout.js';
export * from './keyed-mutex.js';
export * from './mfa-service.js';
