/** Do-Not-Disturb: the public surface for app.ts, the admin API, persistence and the SIP stage. */
export * from './types.js';
export {
  DEFAULT_HORIZON_MS,
  MAX_RULE_DURATION_MINUTES,
  activeRuleWindows,
  checkWeeklyRule,
  compareRuleWindows,
  ruleWindows,
  scheduleAt,
  validateWeeklyRule,
  type IsoWeekday,
  type RuleWindow,
  type ScheduleState,
  type WeeklyRule,
  type WeeklyRuleInput,
  type WeeklyRuleOptions,
} from './weekly-rule.js';
export {
  createOverride,
  isOverrideActive,
  toPreviousStatus,
  validateOverrideInput,
  validateStoredOverride,
  type DndOverride,
  type OverrideContext,
  type OverrideInput,
} from './override.js';
export {
  CallerExceptionMatcher,
  normalizeCallerIdentity,
  validateCallerException,
  type CallerException,
  type CallerExceptionInput,
  type CallerIdentity,
  type CallerPatternKind,
} from './exceptions.js';
export {
  CalendarParseError,
  DEFAULT_CALENDAR_LIMITS,
  busyIntervals,
  parseCalendar,
  type BusyInterval,
  type BusyIntervals,
  type CalendarLimits,
  type CalendarParseOptions,
  type CalendarSnapshot,
} from './calendar.js';
export {
  CalendarFeed,
  CalendarPoller,
  DEFAULT_FEED_MAX_BYTES,
  DEFAULT_FEED_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  redactSource,
  unrefScheduler,
  validateCalendarFeedConfig,
  type CalendarFeedConfig,
  type CalendarFeedDeps,
  type CalendarFeedStatus,
  type CalendarPollerOptions,
  type FetchFn,
  type PollOutcome,
  type PollResult,
  type PollerScheduler,
} from './calendar-feed.js';
export {
  DND_RESPONSE_STATUSES,
  DndService,
  type CalendarAttachment,
  type DndDecision,
  type DndResponseStatus,
  type DndServiceOptions,
  type ExtensionDndSettings,
  type InviteEvaluation,
} from './dnd-service.js';
export { dndRejectVerdict } from './sip-answer.js';
export { canonicalTimeZone, isValidTimeZone } from './zoned-time.js';
