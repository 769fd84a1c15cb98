/** A block of one address or a CIDR range, as kept in memory and in the database. */
export type BlockSource = 'manual' | 'flood' | 'scanner' | 'auth-failures' | 'enumeration' | 'admin-auth';

export interface Block {
  /** Normalised IP ("192.0.2.7", "2001:db8::1") or CIDR ("192.0.2.0/24", "2001:db8::/32"). */
  readonly target: string;
  readonly source: BlockSource;
  readonly reason: string;
  /** Clock ms. */
  readonly createdAt: number;
  /** Clock ms; null means permanent. A block is active while now < expiresAt. */
  readonly expiresAt: number | null;
  /** How many times this target had been blocked before this block (0 for a first offence). */
  readonly offence: number;
}

/** Durable storage for blocks; implemented by src/store/blocks.ts. All calls are synchronous (better-sqlite3). */
export interface BlockRepository {
  /** Insert or replace the active block of a target. */
  save(block: Block): void;
  /** Lift a block before its time (keeps it in history, marks it lifted at `at`). */
  lift(target: string, at: number): void;
  /** Every block that is active at `now`. */
  loadActive(now: number): Block[];
  /** How many blocks each target has had since `since` (for escalation of repeat offenders), loaded once at start. */
  loadOffences(since: number): Array<{ target: string; count: number; lastAt: number }>;
}
