/**
 * Loading the YAML config: read, parse, validate, and turn every problem into one message
 * that names the file, the line, the key and what is wrong.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** The config cannot be used; the message says where and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Read and validate a config file. Relative paths inside it are resolved against its folder. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read the config file (${code ?? String(err)})`);
  }
  return parseConfig(text, { file, baseDir: path.dirname(path.resolve(file)) });
}

/** Validate config text. `file` names it in messages; `baseDir` anchors relative paths. */
export function parseConfig(text: string, where: { file: string; baseDir: string }): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lines.linePos(syntax.pos[0]);
    const at = `line ${pos.line}, column ${pos.col}`;
    throw new ConfigError(`${where.file}: ${at}: YAML syntax error: ${syntax.message.split('\n')[0] ?? ''}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const messages = result.error.issues.map((issue) => describeIssue(issue, doc, lines, where.file));
    throw new ConfigError(messages.join('\n'));
  }
  const config = result.data;
  return {
    ...config,
    database: { ...config.database, path: path.resolve(where.baseDir, config.database.path) },
  };
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter, file: string): string {
  let keyPath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    keyPath = [...keyPath, key];
    message = `unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''} (check the spelling against config.example.yml)`;
  } else if (issue.code === 'invalid_type') {
    const received = describeValue(doc.getIn(keyPath));
    message = `expected ${issue.expected}, got ${received}`;
  }
  const line = lineOf(doc, keyPath, lines);
  const name = keyPath.length > 0 ? keyPath.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') : '(top level)';
  return `${file}: ${line === null ? '' : `line ${line}: `}${name}: ${message}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${String(value)}`;
}

/** The line of the key (or list item) at keyPath, as close as the document allows. */
function lineOf(doc: Document, keyPath: ReadonlyArray<string | number>, lines: LineCounter): number | null {
  let node: unknown = doc.contents;
  let offset: number | null = rangeStart(node);
  for (const segment of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === null ? null : lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : null;
}
