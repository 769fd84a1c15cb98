/**
 * Callers that always get through DND, globally or for one extension.
 *
 * Pattern text (what the API and config accept):
 *   "911"        exact caller
 *   "+4930*"     prefix (trailing *)
 *   "/^\+49.*$/"  regular expression (JavaScript syntax, optional "i" flag: "/boss/i")
 *
 * Matching is done on the NORMALISED caller identity: trimmed, "sip:"/"sips:"/"tel:" scheme, URI
 * parameters and "@host" removed if a whole URI was passed, lower-cased; for phone-number-looking
 * values (digits, "+", spaces, "-", ".", "(", ")") the visual separators are removed
 * ("+49 (30) 123-45" -> "+493012345"). Exact and prefix patterns are normalised the same way.
 * No number-plan rewriting: "0049..." and "+49..." are different callers.
 *
 * Callers pass every identity they trust (From user; P-Asserted-Identity user when it comes from a
 * trusted peer); any one matching is enough. The From header is spoofable: anyone who learns an
 * exception number can ring a DND extension. That is the product trade-off, keep exceptions narrow.
 *
 * Regex safety: patterns are admin-supplied, limited to 200 characters, and patterns with a
 * quantified group that itself contains a quantifier ("(a+)+", "(\d*)*") - the classic catastrophic
 * backtracking shape - are refused; identities longer than 256 characters never match a regex.
 */
import { DndValidationError, checkIdentifier, isRecord, type ValidationIssue } from './types.js';

export type CallerPatternKind = 'exact' | 'prefix' | 'regex';

export interface CallerExceptionInput {
  readonly id: string;
  /** null = every extension. */
  readonly extension: string | null;
  /** Pattern text, see the module comment; or a raw value when `kind` is given. */
  readonly pattern: string;
  /** Overrides the syntax detection: the pattern is then taken literally (prefix without "*", regex without slashes). */
  readonly kind?: CallerPatternKind;
  /** With an explicit kind: the literal (wins over `pattern`), as in a stored CallerException. */
  readonly value?: string;
  /** Regex flags with an explicit kind 'regex': "" or "i". */
  readonly flags?: string;
  readonly label?: string | null;
}

export interface CallerException {
  readonly id: string;
  readonly extension: string | null;
  readonly kind: CallerPatternKind;
  /** Normalised value (exact/prefix) or regex source. */
  readonly value: string;
  /** Regex flags ("" or "i"). */
  readonly flags: string;
  /** Canonical pattern text ("911", "+4930*", "/^x$/i"), what an API should show. */
  readonly pattern: string;
  readonly label: string | null;
}

/** One or more identities of the caller (From user, trusted P-Asserted-Identity user). */
export type CallerIdentity = string | null | undefined | readonly (string | null | undefined)[];

const MAX_PATTERN = 200;
const MAX_REGEX_INPUT = 256;
const PHONE_LIKE = /^[+\d][\d\s\-.()]*$/;
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,\d*\})/;

export function normalizeCallerIdentity(raw: string): string {
  let s = raw.trim();
  const scheme = /^(sips?|tel):/i.exec(s);
  if (scheme) {
    s = s.slice(scheme[0].length);
    s = s.split(/[;?]/, 1)[0] ?? '';
    const at = s.lastIndexOf('@');
    if (at >= 0) s = s.slice(0, at);
  }
  try {
    if (s.includes('%')) s = decodeURIComponent(s);
  } catch {
    // keep as received
  }
  if (PHONE_LIKE.test(s)) s = s.replace(/[\s\-.()]/g, '');
  return s.toLowerCase();
}

function compile(kind: CallerPatternKind, value: string, flags: string): RegExp | null {
  return kind === 'regex' ? new RegExp(value, flags) : null;
}

/** Validate and normalise one exception; throws DndValidationError naming the bad field. */
export function validateCallerException(input: unknown): CallerException {
  const issues: ValidationIssue[] = [];
  if (!isRecord(input)) throw new DndValidationError([{ field: '(exception)', message: 'must be an object' }]);
  const id = checkIdentifier(input.id, 'id', issues);
  let extension: string | null = null;
  if (input.extension !== null && input.extension !== undefined) extension = checkIdentifier(input.extension, 'extension', issues);
  let label: string | null = null;
  if (input.label !== undefined && input.label !== null) {
    if (typeof input.label !== 'string' || input.label.length > 200) issues.push({ field: 'label', message: 'must be a string of at most 200 characters' });
    else label = input.label;
  }
  if (input.kind !== undefined && input.kind !== 'exact' && input.kind !== 'prefix' && input.kind !== 'regex') {
    issues.push({ field: 'kind', message: 'must be "exact", "prefix" or "regex"' });
  }
  const explicit = input.kind as CallerPatternKind | undefined;
  // A stored CallerException carries its literal in `value`; reloading it must give it back unchanged.
  const text = explicit !== undefined && typeof input.value === 'string' ? input.value : input.pattern;
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_PATTERN) {
    issues.push({ field: 'pattern', message: `must be a non-empty string of at most ${MAX_PATTERN} characters` });
    throw new DndValidationError(issues);
  }

  let kind: CallerPatternKind;
  let value: string;
  let flags = '';
  const slashed = /^\/(.+)\/(i?)$/s.exec(text.trim());
  if (explicit === 'regex' || (explicit === undefined && slashed)) {
    kind = 'regex';
    value = explicit === 'regex' ? text : slashed![1]!;
    if (explicit === 'regex') {
      const f = input.flags ?? '';
      if (f !== '' && f !== 'i') issues.push({ field: 'flags', message: 'must be "" or "i"' });
      else flags = f;
    } else flags = slashed![2]!;
  } else if (explicit === 'prefix' || (explicit === undefined && text.trim().endsWith('*'))) {
    kind = 'prefix';
    value = normalizeCallerIdentity(explicit === 'prefix' ? text : text.trim().slice(0, -1));
    if (value === '') issues.push({ field: 'pattern', message: 'a prefix must not be empty ("*" alone would let every caller through)' });
  } else {
    kind = 'exact';
    value = normalizeCallerIdentity(text);
    if (value === '') issues.push({ field: 'pattern', message: 'must not be empty' });
  }
  if (kind === 'regex') {
    if (NESTED_QUANTIFIER.test(value)) {
      issues.push({ field: 'pattern', message: 'nested quantifiers like "(a+)+" are refused (catastrophic backtracking)' });
    } else {
      try {
        const re = compile(kind, value, flags)!;
        if (re.test('')) issues.push({ field: 'pattern', message: 'the regex matches an empty caller; anchor it or make it stricter' });
      } catch (err) {
        issues.push({ field: 'pattern', message: `invalid regular expression: ${(err as Error).message}` });
      }
    }
  }
  if (issues.length) throw new DndValidationError(issues);
  const pattern = kind === 'regex' ? `/${value}/${flags}` : kind === 'prefix' ? `${value}*` : value;
  return Object.freeze({ id, extension, kind, value, flags, pattern, label });
}

interface CompiledSet {
  readonly exact: Map<string, CallerException>;
  readonly prefixes: readonly CallerException[];
  readonly regexes: readonly { readonly re: RegExp; readonly exception: CallerException }[];
}

function compileSet(list: readonly CallerException[]): CompiledSet {
  const exact = new Map<string, CallerException>();
  const prefixes: CallerException[] = [];
  const regexes: { re: RegExp; exception: CallerException }[] = [];
  for (const e of list) {
    if (e.kind === 'exact') {
      if (!exact.has(e.value)) exact.set(e.value, e);
    } else if (e.kind === 'prefix') prefixes.push(e);
    else regexes.push({ re: compile('regex', e.value, e.flags)!, exception: e });
  }
  prefixes.sort((a, b) => b.value.length - a.value.length); // longest (most specific) first
  return { exact, prefixes, regexes };
}

function matchSet(set: CompiledSet, ids: readonly string[]): CallerException | null {
  for (const id of ids) {
    const hit = set.exact.get(id);
    if (hit) return hit;
  }
  for (const p of set.prefixes) for (const id of ids) if (id.startsWith(p.value)) return p;
  for (const r of set.regexes) for (const id of ids) if (id.length <= MAX_REGEX_INPUT && r.re.test(id)) return r.exception;
  return null;
}

/** Compiled exceptions; immutable, rebuild on change (cheap). */
export class CallerExceptionMatcher {
  readonly #global: CompiledSet;
  readonly #byExtension = new Map<string, CompiledSet>();
  readonly exceptions: readonly CallerException[];

  constructor(exceptions: readonly CallerException[]) {
    this.exceptions = Object.freeze([...exceptions]);
    this.#global = compileSet(exceptions.filter((e) => e.extension === null));
    const byExt = new Map<string, CallerException[]>();
    for (const e of exceptions) {
      if (e.extension === null) continue;
      let l = byExt.get(e.extension);
      if (!l) byExt.set(e.extension, (l = []));
      l.push(e);
    }
    for (const [ext, l] of byExt) this.#byExtension.set(ext, compileSet(l));
  }

  /** The exception letting this caller through to `extension` (extension-specific first), or null. */
  match(extension: string, caller: CallerIdentity): CallerException | null {
    const ids = identities(caller);
    if (ids.length === 0) return null;
    const own = this.#byExtension.get(extension);
    return (own && matchSet(own, ids)) ?? matchSet(this.#global, ids);
  }
}

function identities(caller: CallerIdentity): string[] {
  const list = typeof caller === 'string' ? [caller] : caller ?? [];
  const out: string[] = [];
  for (const c of list) {
    if (typeof c !== 'string') continue;
    const n = normalizeCallerIdentity(c);
    if (n !== '' && !out.includes(n)) out.push(n);
  }
  return out;
}
