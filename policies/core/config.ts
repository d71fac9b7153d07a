/** Parsing a config against its zod schema, with the error naming the config, the field and the problem. */
import type { z } from 'zod';

export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${what}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}
