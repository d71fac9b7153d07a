import type { z, ZodType } from 'zod';

/** Formats a value for an error message: numbers keep NaN/Infinity visible, arrays are shortened. */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return String(value);
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    const head = items.slice(0, 8).map(show).join(', ');
    return `[${head}${items.length > 8 ? `, … (${items.length} items)` : ''}]`;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** An error about one input of one env: `PushT-v0: action must be …, got […]`. */
export class EnvInputError extends Error {
  constructor(envId: string, what: string, expected: string, got: unknown) {
    super(`${envId}: ${what} must be ${expected}, got ${show(got)}`);
    this.name = 'EnvInputError';
  }
}

/** Throws unless `seed` is a non-negative safe integer. */
export function checkSeed(envId: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new EnvInputError(envId, 'seed', 'a non-negative integer', seed);
  }
  return seed;
}

/** Throws unless `values` has exactly `n` finite numbers. */
export function checkFiniteVector(envId: string, what: string, values: unknown, n: number | readonly number[]): void {
  const lengths = typeof n === 'number' ? [n] : n;
  const ok =
    (Array.isArray(values) || ArrayBuffer.isView(values)) &&
    lengths.includes((values as ArrayLike<number>).length) &&
    Array.from(values as ArrayLike<unknown>).every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!ok) throw new EnvInputError(envId, what, `${lengths.join(' or ')} finite numbers`, values);
}

/** Parses an env's options with its zod schema; errors name the option, the rule and the value given. */
export function parseEnvOptions<S extends ZodType>(envId: string, schema: S, options: unknown): z.output<S> {
  const r = schema.safeParse(options ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.join('.');
  const value = issue.path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), options);
  throw new Error(`${envId}: bad option ${where || '(options)'}: ${issue.message}${where ? `, got ${show(value)}` : ''}`);
}
