/**
 * A repeated option means its last value (`--steps 10 --steps 1` is 1 step, `--json a --json b` writes b), for every
 * option type, while a variadic positional (`compare <reports..>`) keeps every value.
 *
 * yargs-parser cannot give both by configuration. With `duplicate-arguments-array: false` a variadic positional keeps
 * only its last value (yargs passes it to the parser as a repeated array option), and a number option still sums:
 * `setKey` takes any value equal to the number 1 for a count flag's "one more", so `--steps 10 --steps 1` is 11
 * (yargs/yargs-parser issue 506, open; no configuration avoids it). So the parser keeps its default (a repeated option
 * becomes an array) and each option takes its array's last value in a coerce; number options are parsed as strings,
 * which are never that 1, and made numbers there. The help still says `[number]` (yargs lists that type last).
 */
import type { Argv } from 'yargs';
import { UsageError } from './errors.js';

/** What yargs knows about a parser's options: `getOptions()` is how yargs itself lists them; its types leave it out. */
export interface YargsOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  array: string[];
  boolean: string[];
  count: string[];
  number: string[];
}

/** The options declared so far on `y`. */
export function optionsOf(y: Argv<unknown>): YargsOptions {
  return (y as unknown as { getOptions(): YargsOptions }).getOptions();
}

/**
 * Makes every option declared on `y` so far take its last value when repeated (see the module comment). Booleans
 * already do (yargs-parser never makes them arrays); array options keep every value.
 */
export function lastValueWins<T>(y: Argv<T>): Argv<T> {
  const o = optionsOf(y);
  const keeps = new Set([...o.boolean, ...o.array, ...o.count]);
  const numbers = new Set(o.number);
  for (const key of Object.keys(o.key).filter((k) => !keeps.has(k))) {
    if (numbers.has(key)) y.string(key).coerce(key, (value: unknown) => toNumber(key, last(value)));
    else y.coerce(key, last);
  }
  return y;
}

function last(value: unknown): unknown {
  return Array.isArray(value) ? value.at(-1) : value;
}

/**
 * A number option's value as yargs' own number type reads it (`Number(text)`: `abc` is NaN, for the command's own
 * check to name), defaults and `--no-x`'s false as they are; an option given without a value, which has no default to
 * take, is refused.
 */
function toNumber(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') throw new UsageError(`--${key} needs a number`);
  return Number(value);
}
