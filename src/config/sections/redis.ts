/**
 * `redis`: share blocks between sipwarden nodes in front of one PBX, and let drachtio-server drop
 * packets from blocked addresses itself (its <blacklist> polls a Redis set). Off unless url is set.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { duration } from '../duration.js';

export const redisSection = z.strictObject({
  /** redis://[:password@]host:port[/db]; null = no Redis. */
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .nullable()
    .default(null),
  /** The set drachtio-server polls (<blacklist redis-key=...>): single blocked IP addresses. */
  blacklist_key: z.string().min(1).default('sipwarden:blacklist'),
  /** The hash shared by every node: target -> block (JSON). */
  blocks_key: z.string().min(1).default('sipwarden:blocks'),
  /** This node's name in shared blocks. */
  node: z.string().min(1).default(hostname()),
  sync_interval: duration().default(5000),
});

export type RedisConfig = z.output<typeof redisSection>;
