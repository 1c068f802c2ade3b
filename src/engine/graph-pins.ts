/**
 * Finding pins by name: an exact declared pin, or a member (`in_3`) of a dynamic family (`in`).
 */

/**
 * Finds the declared pin that a concrete pin name refers to: the exact name, a dynamic family
 * member (`in_3`), or a name matching a runtime family's pattern (pins a node creates while running).
 */
export function findPin<S extends { name: string; cardinality: unknown; runtime?: { pattern: RegExp } }>(
  specs: readonly S[],
  name: string,
): S | undefined {
  const exact = specs.find((s) => s.name === name);
  if (exact) return exact;
  return specs.find((s) => {
    if (s.runtime) return s.runtime.pattern.test(name);
    const prefix = dynamicPrefix(s.cardinality);
    return prefix !== undefined && (name === prefix || name.startsWith(`${prefix}_`));
  });
}

function dynamicPrefix(c: unknown): string | undefined {
  return typeof c === 'object' && c !== null && 'dynamic' in c ? (c as { dynamic: string }).dynamic : undefined;
}

/** The pins of a list as users write them (`in_N` for a dynamic family), for hints. */
export function pinNames(
  specs: readonly { name: string; cardinality: unknown; runtime?: { pattern: RegExp } }[],
): string {
  return specs
    .map((s) => {
      if (s.runtime) return `${s.name} (names matching /${s.runtime.pattern.source}/, made while running)`;
      const prefix = dynamicPrefix(s.cardinality);
      return prefix !== undefined ? `${prefix}_N` : s.name;
    })
    .join(', ');
}
