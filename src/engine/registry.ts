/**
 * The node registry: every kind a host can run, and its description as JSON for the studio
 * palette and `GET /api/v1/schema/nodes`.
 */
import { z } from 'zod';
import type { AnyNodeDefinition, Cardinality, InputPinSpec, OutputPinSpec } from './node';
import { resolvePins } from './node';
import type { PacketType } from './packets';

/** A pin as described to clients. */
export interface PinDescription {
  name: string;
  cardinality: Cardinality;
  description?: string;
}

/** A node kind as described to clients. */
export interface NodeDescription {
  kind: string;
  version: number;
  description: string;
  categories: readonly string[];
  /** JSON Schema of the params (defaults included). */
  param_schema: Record<string, unknown>;
  live_params: readonly string[];
  inputs: (PinDescription & { accepts_types: readonly PacketType[]; required: boolean })[];
  outputs: (PinDescription & { produces_type: PacketType })[];
  modes: 'both' | 'oneshot' | 'dynamic';
  may_close_cycle: boolean;
}

/** Edit distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** The `limit` names closest to `name`, best first; names too different to be a typo are left out. */
export function nearestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  const tail = (s: string): string => s.split('::').at(-1) ?? s;
  return [...candidates]
    .map((c) => {
      const cl = c.toLowerCase();
      const related = tail(cl).length > 2 && (cl.includes(tail(lower)) || lower.includes(tail(cl)));
      return { c, d: related ? 0 : editDistance(lower, cl) };
    })
    .filter((x) => x.d < name.length && x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, limit)
    .map((x) => x.c);
}

function paramsJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
}

function describeInput(pin: InputPinSpec): NodeDescription['inputs'][number] {
  return {
    name: pin.name,
    cardinality: pin.cardinality,
    accepts_types: pin.accepts,
    required: pin.required ?? pin.cardinality === 'one',
    ...(pin.description ? { description: pin.description } : {}),
  };
}

function describeOutput(pin: OutputPinSpec): NodeDescription['outputs'][number] {
  return {
    name: pin.name,
    cardinality: pin.cardinality,
    produces_type: pin.produces,
    ...(pin.description ? { description: pin.description } : {}),
  };
}

/** A set of node kinds, looked up by kind name. */
export class NodeRegistry {
  readonly #kinds = new Map<string, AnyNodeDefinition>();

  constructor(definitions: Iterable<AnyNodeDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  /** Adds a kind; a kind name may be registered once. */
  register(definition: AnyNodeDefinition): this {
    if (!/^[a-z0-9_]+(::[a-z0-9_-]+)+$/.test(definition.kind)) {
      throw new Error(`NodeRegistry.register: kind '${definition.kind}' is not of the form domain::name`);
    }
    if (this.#kinds.has(definition.kind)) {
      throw new Error(`NodeRegistry.register: kind '${definition.kind}' is already registered`);
    }
    this.#kinds.set(definition.kind, definition);
    return this;
  }

  /** The definition of `kind`, if registered. */
  get(kind: string): AnyNodeDefinition | undefined {
    return this.#kinds.get(kind);
  }

  /** True when `kind` is registered. */
  has(kind: string): boolean {
    return this.#kinds.has(kind);
  }

  /** Every registered kind name, sorted. */
  kinds(): string[] {
    return [...this.#kinds.keys()].sort();
  }

  /** Kind names closest to an unknown one. */
  suggest(kind: string): string[] {
    return nearestNames(kind, this.#kinds.keys());
  }

  /** JSON description of one kind; pins are those of the default params. */
  describe(kind: string): NodeDescription | undefined {
    const d = this.#kinds.get(kind);
    if (!d) return undefined;
    const defaults: unknown = d.params.safeParse({}).data ?? {};
    return {
      kind: d.kind,
      version: d.version,
      description: d.description,
      categories: d.categories,
      param_schema: paramsJsonSchema(d.params),
      live_params: d.liveParams ?? [],
      inputs: resolvePins(d.inputs, defaults).map(describeInput),
      outputs: resolvePins(d.outputs, defaults).map(describeOutput),
      modes: d.modes ?? 'both',
      may_close_cycle: d.mayCloseCycle ?? false,
    };
  }

  /** JSON descriptions of every kind, sorted by kind. */
  describeAll(): NodeDescription[] {
    return this.kinds().map((k) => this.describe(k) as NodeDescription);
  }
}
