/**
 * /api/v1/dnd: Do-Not-Disturb rules, overrides, calendar feeds, caller exceptions, per-extension
 * settings, and the status of one or every extension. The DND module validates every input and
 * names the offending field; those errors become 400s here.
 */
import { z } from 'zod';
import type { CalendarFeedStatus, CallerException, DndOverride, DndStatus, ExtensionDndSettings, WeeklyRule } from '../../../dnd/index.js';
import { DndValidationError } from '../../../dnd/index.js';
import type { Clock } from '../../../clock.js';
import type { ApiFeature } from '../deps.js';
import { ApiError } from '../errors.js';
import { commonErrors, iso, isoOrNull, json, notFound } from '../schemas.js';
import type { ApiInstance } from './types.js';

/** What the routes need from the DND feature (persisting, polling and validating behind it). */
export interface DndAdmin {
  status(extension: string, now: number): DndStatus;
  statusAll(now: number): DndStatus[];
  rules(extension?: string): WeeklyRule[];
  putRule(input: unknown): WeeklyRule;
  removeRule(id: string): boolean;
  setOverride(extension: string, input: unknown, now: number): DndOverride;
  clearOverride(extension: string): DndOverride | null;
  calendars(): CalendarFeedStatus[];
  putCalendar(input: unknown): CalendarFeedStatus;
  removeCalendar(id: string): boolean;
  exceptions(extension?: string): CallerException[];
  putException(input: unknown): CallerException;
  removeException(id: string): boolean;
  putSettings(input: unknown): ExtensionDndSettings;
}

const TAG = ['dnd'];
const idParam = z.strictObject({ id: z.string().min(1).max(128) });
const extensionParam = z.strictObject({ extension: z.string().min(1).max(128) });
const anyObject = z.looseObject({});
/** A stored DND document (rule, override, feed, exception, settings): its shape is the DND module's. */
const documentOut = z.unknown();
const extensionQuery = z.strictObject({ extension: z.string().min(1).max(128).optional() });

const statusOut = z.looseObject({ extension: z.string(), dnd: z.boolean(), reason: z.string(), until: z.string().nullable(), at: z.string() });

const overrideBody = z
  .strictObject({
    state: z.enum(['on', 'off']),
    until: z.iso.datetime({ offset: true }).nullable().optional().meta({ description: 'end of the override (ISO 8601); null = permanent' }),
    minutes: z.number().int().min(1).max(525_600).optional().meta({ description: 'end the override after this many minutes' }),
    untilNextChange: z.boolean().optional().meta({ description: 'end the override at the next scheduled change' }),
    note: z.string().max(500).nullable().optional(),
  })
  .superRefine((body, ctx) => {
    const given = [body.until !== undefined, body.minutes !== undefined, body.untilNextChange === true].filter(Boolean).length;
    if (given > 1) ctx.addIssue({ code: 'custom', path: ['until'], message: 'give one of until, minutes, untilNextChange' });
  });

function statusJson(status: DndStatus) {
  return {
    ...status,
    at: iso(status.at),
    until: isoOrNull(status.until),
    ...(status.since === undefined ? {} : { since: iso(status.since) }),
    ...(status.overrideUntil === undefined ? {} : { overrideUntil: isoOrNull(status.overrideUntil) }),
  };
}

/** Run a DND mutation; its validation errors become 400s naming the field. */
function validated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DndValidationError) throw new ApiError(400, 'bad-request', err.message);
    throw err;
  }
}

export function dndApi(admin: DndAdmin, clock: Clock): ApiFeature {
  return {
    tag: { name: 'dnd', description: 'Do-Not-Disturb: rules, overrides, calendars, exceptions, status' },
    register(api: ApiInstance) {
      api.get('/dnd/status', { schema: { tags: TAG, summary: 'DND status of every known extension', response: { 200: json('Statuses', z.object({ items: z.array(statusOut) })), ...commonErrors } } }, async () => ({
        items: admin.statusAll(clock()).map(statusJson),
      }));
      api.get(
        '/dnd/status/:extension',
        { schema: { tags: TAG, summary: 'Is this extension in DND now, why, and until when', params: extensionParam, response: { 200: json('Status', statusOut), ...commonErrors } } },
        async (request) => statusJson(admin.status(request.params.extension, clock())),
      );

      api.get('/dnd/rules', { schema: { tags: TAG, summary: 'Weekly rules (of one extension)', querystring: extensionQuery, response: { 200: json('Rules', z.object({ items: z.array(documentOut) })), ...commonErrors } } }, async (request) => ({
        items: admin.rules(request.query.extension),
      }));
      api.put(
        '/dnd/rules/:id',
        {
          schema: {
            tags: TAG,
            summary: 'Add or replace a weekly rule: extension, days, start, end or durationMinutes, timezone, priority, enabled',
            params: idParam,
            body: anyObject,
            response: { 200: json('The rule as stored', documentOut), ...commonErrors },
          },
        },
        async (request) => validated(() => admin.putRule({ ...request.body, id: request.params.id })),
      );
      api.delete('/dnd/rules/:id', { schema: { tags: TAG, summary: 'Remove a weekly rule', params: idParam, response: { 200: json('Removed', documentOut), ...commonErrors, 404: notFound('No such rule') } } }, async (request) => {
        if (!admin.removeRule(request.params.id)) throw new ApiError(404, 'not-found', `no rule ${request.params.id}`);
        return { id: request.params.id, removed: true };
      });

      api.put(
        '/dnd/overrides/:extension',
        { schema: { tags: TAG, summary: 'Set a manual override (on/off; until a time, for N minutes, until the next scheduled change, or permanent)', params: extensionParam, body: overrideBody, response: { 200: json('The override', documentOut), ...commonErrors } } },
        async (request) => {
          const now = clock();
          const { state, until, minutes, untilNextChange, note } = request.body;
          const end = untilNextChange === true ? 'next-change' : minutes !== undefined ? now + minutes * 60_000 : until === undefined || until === null ? null : Date.parse(until);
          return validated(() => admin.setOverride(request.params.extension, { state, until: end, note: note ?? null }, now));
        },
      );
      api.delete(
        '/dnd/overrides/:extension',
        { schema: { tags: TAG, summary: 'Clear the override: the schedule applies again', params: extensionParam, response: { 200: json('Cleared', documentOut), ...commonErrors, 404: notFound('No override') } } },
        async (request) => {
          const cleared = admin.clearOverride(request.params.extension);
          if (cleared === null) throw new ApiError(404, 'not-found', `no override for ${request.params.extension}`);
          return { extension: request.params.extension, cleared: true, previousStatus: cleared.previousStatus };
        },
      );

      api.get('/dnd/calendars', { schema: { tags: TAG, summary: 'Calendar feeds and their last poll', response: { 200: json('Feeds', z.object({ items: z.array(documentOut) })), ...commonErrors } } }, async () => ({
        items: admin.calendars(),
      }));
      api.put(
        '/dnd/calendars/:id',
        { schema: { tags: TAG, summary: 'Register or change an iCalendar feed (http(s) URL or file) for an extension', params: idParam, body: anyObject, response: { 200: json('The feed', documentOut), ...commonErrors } } },
        async (request) => validated(() => admin.putCalendar({ ...request.body, id: request.params.id })),
      );
      api.delete('/dnd/calendars/:id', { schema: { tags: TAG, summary: 'Remove a calendar feed', params: idParam, response: { 200: json('Removed', documentOut), ...commonErrors, 404: notFound('No such feed') } } }, async (request) => {
        if (!admin.removeCalendar(request.params.id)) throw new ApiError(404, 'not-found', `no calendar ${request.params.id}`);
        return { id: request.params.id, removed: true };
      });

      api.get('/dnd/exceptions', { schema: { tags: TAG, summary: 'Callers that always get through', querystring: extensionQuery, response: { 200: json('Exceptions', z.object({ items: z.array(documentOut) })), ...commonErrors } } }, async (request) => ({
        items: admin.exceptions(request.query.extension),
      }));
      api.put(
        '/dnd/exceptions/:id',
        { schema: { tags: TAG, summary: 'Add or replace a caller exception (extension or null for all; pattern)', params: idParam, body: anyObject, response: { 200: json('The exception', documentOut), ...commonErrors } } },
        async (request) => validated(() => admin.putException({ extension: null, ...request.body, id: request.params.id })),
      );
      api.delete('/dnd/exceptions/:id', { schema: { tags: TAG, summary: 'Remove a caller exception', params: idParam, response: { 200: json('Removed', documentOut), ...commonErrors, 404: notFound('No such exception') } } }, async (request) => {
        if (!admin.removeException(request.params.id)) throw new ApiError(404, 'not-found', `no exception ${request.params.id}`);
        return { id: request.params.id, removed: true };
      });

      api.put(
        '/dnd/settings/:extension',
        { schema: { tags: TAG, summary: 'Per-extension answer status (486, 480, 603) and time zone', params: extensionParam, body: anyObject, response: { 200: json('Settings', documentOut), ...commonErrors } } },
        async (request) => validated(() => admin.putSettings({ ...request.body, extension: request.params.extension })),
      );
    },
  };
}
