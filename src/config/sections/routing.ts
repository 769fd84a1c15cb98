/**
 * `routing`: skills-based queue routing. Skills, agent skills, queues and requirements are
 * managed through the admin API (/api/v1/skills, /api/v1/queues) and kept in the database; this
 * section holds how agents are reached and the agent defaults (FreeSWITCH mod_callcenter's).
 */
import { z } from 'zod';

const seconds = z.number().int().min(0).max(86_400);

export const routingSection = z.strictObject({
  enabled: z.boolean().default(true),
  /** pbx: ring sip:<extension>@<pbx host>:<port>; contact: ring the contact the agent registered through sipwarden (the PBX address when none). */
  agent_address: z.enum(['pbx', 'contact']).default('pbx'),
  /** An agent must have a live registration seen at the edge (false when agents register by another path). */
  require_registration: z.boolean().default(true),
  /** Registration lifetime assumed when a REGISTER names none. */
  default_registration_expiry: z.number().int().min(1).default(3600),
  agents: z
    .strictObject({
      call_limit: z.number().int().min(1).max(100).default(1),
      wrap_up_seconds: seconds.default(10),
      busy_delay_seconds: seconds.default(60),
      reject_delay_seconds: seconds.default(10),
      no_answer_delay_seconds: seconds.default(60),
      unreachable_delay_seconds: seconds.default(60),
      max_no_answer: z.number().int().min(0).max(100).default(3),
    })
    .prefault({}),
});

export type RoutingSectionConfig = z.output<typeof routingSection>;
