/** Queue routing: skills, queue requirements, agent presence, agent selection. See routing-service.ts. */
export * from './types.js';
export * from './validation.js';
export * from './agent-presence.js';
export * from './scoring.js';
export * from './ranker.js';
export * from './outcome.js';
export * from './routing-service.js';
export * from './queue-verdict.js';
export * from './random.js';
export * from './skill-index.js';
