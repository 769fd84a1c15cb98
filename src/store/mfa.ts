/** MFA enrollments (secrets sealed by the vault, backup codes hashed), lockout state, and admin users, in SQLite. */
import { parseLockoutState, type LockoutState, type MfaEnrollmentRecord, type MfaRepository } from '../mfa/index.js';
import type { Database } from './database.js';

export interface AdminUser {
  readonly name: string;
  readonly passwordHash: string;
  readonly createdAt: number;
}

export class SqliteMfaRepository implements MfaRepository {
  constructor(private readonly db: Database) {}

  getEnrollment(subject: string): MfaEnrollmentRecord | null {
    const row = this.db.prepare<[string], { data: string }>('SELECT data FROM mfa_enrollment WHERE subject = ?').get(subject);
    return row ? (JSON.parse(row.data) as MfaEnrollmentRecord) : null;
  }

  putEnrollment(record: MfaEnrollmentRecord): void {
    this.db
      .prepare('INSERT INTO mfa_enrollment (subject, data) VALUES (?, ?) ON CONFLICT(subject) DO UPDATE SET data = excluded.data')
      .run(record.subject, JSON.stringify(record));
  }

  deleteEnrollment(subject: string): void {
    this.db.prepare('DELETE FROM mfa_enrollment WHERE subject = ?').run(subject);
  }

  getLockout(subject: string): LockoutState | null {
    const row = this.db.prepare<[string], { data: string }>('SELECT data FROM mfa_lockout WHERE subject = ?').get(subject);
    return row ? parseLockoutState(JSON.parse(row.data)) : null;
  }

  putLockout(subject: string, state: LockoutState): void {
    this.db.prepare('INSERT INTO mfa_lockout (subject, data) VALUES (?, ?) ON CONFLICT(subject) DO UPDATE SET data = excluded.data').run(subject, JSON.stringify(state));
  }

  deleteLockout(subject: string): void {
    this.db.prepare('DELETE FROM mfa_lockout WHERE subject = ?').run(subject);
  }

  /** Every enrollment (key rotation, key check at start). */
  allEnrollments(): MfaEnrollmentRecord[] {
    return this.db
      .prepare<[], { data: string }>('SELECT data FROM mfa_enrollment ORDER BY subject')
      .all()
      .map((r) => JSON.parse(r.data) as MfaEnrollmentRecord);
  }

  /** Replace every enrollment's sealed secret in one transaction (key rotation). */
  resealAll(reseal: (record: MfaEnrollmentRecord) => string): number {
    const records = this.allEnrollments();
    this.db.transaction(() => {
      for (const record of records) this.putEnrollment({ ...record, secretEnc: reseal(record) });
    })();
    return records.length;
  }

  getAdmin(name: string): AdminUser | null {
    const row = this.db.prepare<[string], { name: string; password_hash: string; created_at: number }>('SELECT * FROM admin_users WHERE name = ?').get(name);
    return row ? { name: row.name, passwordHash: row.password_hash, createdAt: row.created_at } : null;
  }

  putAdmin(user: AdminUser): void {
    this.db
      .prepare('INSERT INTO admin_users (name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash')
      .run(user.name, user.passwordHash, user.createdAt);
  }

  deleteAdmin(name: string): boolean {
    return this.db.prepare('DELETE FROM admin_users WHERE name = ?').run(name).changes > 0;
  }
}
