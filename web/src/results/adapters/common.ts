// Helpers shared by the result adapters. Run results come from the server as
// `unknown`: adapters read them defensively, so that a missing or renamed
// field degrades one cell, never the screen.

export type Obj = Record<string, unknown>;

export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

export const obj = (x: unknown): Obj => (isObj(x) ? x : {});

/** A finite number, or null (numbers sent as strings, e.g. decimals, are accepted). */
export function num(x: unknown): number | null {
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'string' && x.trim() !== '') {
    const n = Number(x);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export const nums = (x: unknown): (number | null)[] => (Array.isArray(x) ? x.map(num) : []);

/** The first of the keys present in o (results differ between versions: "curr" or "current"). */
export function pick(o: Obj, ...keys: string[]): unknown {
  for (const k of keys) if (k in o) return o[k];
  return undefined;
}

export const asString = (x: unknown): string => (typeof x === 'string' ? x : x == null ? '' : String(x));
