/** Milliseconds since the Unix epoch. Every time-dependent decision takes one of these instead of reading the wall clock. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
