/**
 * Reading pipeline text: YAML (with line/column positions for every issue) or JSON. JSON is what
 * API clients and generators send, and the yaml parser reads about 1 MB/s, so a JSON document is
 * read with `JSON.parse` (after a one-pass duplicate-key scan, since JSON.parse keeps the last of
 * two equal keys) and the YAML source map is built only when an issue asks for a position.
 */
import type { Node as YamlNode } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Issue } from './errors';
import { clip, PipelineError } from './errors';
import type { ParsedPipeline, SourceMap } from './format';
import { MAX_PIPELINE_BYTES, MAX_YAML_ALIASES, validateDocument } from './format';

function sourceMapFor(doc: ReturnType<typeof parseDocument>, counter: LineCounter): SourceMap {
  const stepsForm = isMap(doc.contents) && doc.contents.has('steps');
  // Key lookups are indexed per map on first use, so reporting many issues stays linear.
  const indexes = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();
  const pairOf = (map: { items: { key: unknown; value: unknown }[] }, key: string) => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        if (isScalar(pair.key) && !index.has(String(pair.key.value))) index.set(String(pair.key.value), pair);
      }
      indexes.set(map, index);
    }
    return index.get(key);
  };
  return {
    nodePath(nodeId) {
      const step = /^step_(\d+)$/.exec(nodeId);
      return stepsForm && step ? ['steps', Number(step[1])] : ['nodes', nodeId];
    },
    positionOf(path) {
      let node: unknown = doc.contents;
      let last: unknown = node;
      for (const key of path) {
        if (isMap(node)) {
          const pair = pairOf(node, String(key));
          if (!pair) break;
          node = pair.value;
          last = pair.value ?? pair.key;
        } else if (isSeq(node) && typeof key === 'number') {
          node = node.items[key];
          last = node;
        } else break;
      }
      const range = (last as YamlNode | undefined)?.range;
      if (!range) return undefined;
      const pos = counter.linePos(range[0]);
      return { line: pos.line, col: pos.col };
    },
  };
}

/**
 * Parses pipeline text (YAML or JSON) into the flat form. Throws a `PipelineError` listing
 * every syntax or shape problem with its line and column.
 */
export function parsePipeline(text: string): ParsedPipeline {
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_PIPELINE_BYTES) {
    throw new PipelineError([
      {
        code: 'too_large',
        severity: 'error',
        message: `the pipeline document is ${bytes} bytes; the limit is ${MAX_PIPELINE_BYTES}`,
        hint: 'pipelines are small documents; put media in inputs, not in the pipeline',
      },
    ]);
  }
  const json = readJson(text);
  if (json !== undefined) return { pipeline: validateDocument(json.value, json.source), source: json.source };
  const counter = new LineCounter();
  // yaml's own uniqueKeys check is quadratic in a map's size; duplicateKeys() does it in one pass.
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: false });
  const source = sourceMapFor(doc, counter);
  const syntax: Issue[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    const duplicate = e.code === 'DUPLICATE_KEY';
    return {
      code: duplicate ? 'duplicate_id' : 'syntax',
      severity: 'error',
      message: duplicate
        ? 'a key appears twice (node ids must be unique)'
        : clip(e.message.split(' at line ')[0] ?? e.message, 200),
      hint: duplicate ? 'rename one of the nodes' : 'fix the YAML syntax at this position',
      ...(pos ? { position: { line: pos.line, col: pos.col } } : {}),
    };
  });
  syntax.push(...duplicateKeys(doc, counter));
  if (syntax.length > 0) throw new PipelineError(syntax);
  const value = documentValue(doc);
  if (value === null || value === undefined) {
    throw new PipelineError([
      { code: 'empty', severity: 'error', message: 'the pipeline is empty', hint: "add 'steps:' or 'nodes:'" },
    ]);
  }
  return { pipeline: validateDocument(value, source), source };
}

/** Keys that appear twice in one map, found in one pass over the document. */
function duplicateKeys(doc: ReturnType<typeof parseDocument>, counter: LineCounter): Issue[] {
  const issues: Issue[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const pos = pair.key.range ? counter.linePos(pair.key.range[0]) : undefined;
        issues.push({
          code: 'duplicate_id',
          severity: 'error',
          message: `the key '${clip(key)}' appears twice (node ids must be unique)`,
          hint: 'rename one of the nodes',
          ...(pos ? { position: { line: pos.line, col: pos.col } } : {}),
        });
      }
    },
  });
  return issues;
}

/** The document as plain data; an alias bomb or a structure too deep to build is a syntax issue. */
function documentValue(doc: ReturnType<typeof parseDocument>): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    if (!(error instanceof ReferenceError) && !(error instanceof RangeError)) throw error;
    const bomb = error instanceof ReferenceError;
    throw new PipelineError([
      {
        code: 'syntax',
        severity: 'error',
        message: bomb
          ? `the document expands YAML aliases more than ${MAX_YAML_ALIASES} times (a resource exhaustion pattern)`
          : 'the document is nested too deeply to read',
        hint: bomb ? 'write the values out instead of repeating aliases' : 'flatten the document',
      },
    ]);
  }
}

/** A source map that parses the text as YAML (JSON is YAML) the first time a position is asked for. */
function lazySourceMap(text: string): SourceMap {
  let map: SourceMap | undefined;
  const get = (): SourceMap => {
    if (!map) {
      const counter = new LineCounter();
      map = sourceMapFor(parseDocument(text, { lineCounter: counter, uniqueKeys: false }), counter);
    }
    return map;
  };
  return { positionOf: (path) => get().positionOf(path), nodePath: (id) => get().nodePath(id) };
}

/** Line and column (1-based) of `offset` in `text`. */
function linePos(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * Keys that appear twice in one JSON object, in one pass over the text (which must be valid JSON).
 * Returns the offset of each repeated key.
 */
export function jsonDuplicateKeys(text: string): { key: string; offset: number }[] {
  const found: { key: string; offset: number }[] = [];
  const stack: ({ keys: Set<string>; expectKey: boolean } | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const top = stack.at(-1);
      if (top?.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (top.keys.has(key)) found.push({ key, offset: start });
        top.keys.add(key);
        top.expectKey = false;
      }
    } else if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack.at(-1);
      if (top) top.expectKey = true;
    }
  }
  return found;
}

/** The document read as JSON when it is JSON; undefined when it is not (then it is read as YAML). */
function readJson(text: string): { value: unknown; source: SourceMap } | undefined {
  if (!/^\s*[{[]/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // YAML flow style, or broken JSON: the YAML reader reports it with a position
  }
  const duplicates = jsonDuplicateKeys(text);
  if (duplicates.length > 0) {
    throw new PipelineError(
      duplicates.map(({ key, offset }) => ({
        code: 'duplicate_id',
        severity: 'error',
        message: `the key '${clip(key)}' appears twice (node ids must be unique)`,
        hint: 'rename one of the nodes',
        position: linePos(text, offset),
      })),
    );
  }
  return { value, source: lazySourceMap(text) };
}
