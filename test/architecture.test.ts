import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import graph of src/, read from the sources: which layer may import which (dependencies flow one way:
 * cli -> serve/web -> train -> bench -> runners/model -> autodiff -> onnx -> common), no cycles between files, and browser code
 * that never reaches a Node module. docs/architecture.md explains the layers.
 */
const SRC = fileURLToPath(new URL('../src/', import.meta.url));

const ALLOWED: Record<string, string[]> = {
  common: [],
  onnx: ['common'],
  autodiff: ['common', 'onnx'],
  model: ['common', 'onnx', 'autodiff'],
  runners: ['common'],
  bench: ['common', 'onnx', 'autodiff', 'model', 'runners'],
  train: ['common', 'onnx', 'autodiff', 'model', 'runners', 'bench'],
  serve: ['common', 'onnx', 'autodiff', 'model', 'runners', 'bench', 'train'],
  web: ['common', 'model', 'runners', 'bench'],
  cli: ['common', 'onnx', 'autodiff', 'model', 'runners', 'bench', 'train', 'serve'],
  index: ['common', 'onnx', 'autodiff', 'model', 'runners', 'bench', 'train'],
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Static imports and re-exports, and dynamic imports of a string literal; `to` is a src-relative path or a package name. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const statement = /^(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s+'([^']+)'/gms;
  for (const m of text.matchAll(statement)) {
    const names = m[2]!;
    const typeOnly =
      !!m[1] ||
      (/^\{[^}]*\}$/s.test(names) &&
        names
          .slice(1, -1)
          .split(',')
          .filter((s) => s.trim())
          .every((s) => /^\s*type\s/.test(s)));
    out.push({ from: file, to: resolveSpecifier(file, m[3]!), typeOnly });
  }
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g))
    out.push({ from: file, to: resolveSpecifier(file, m[1]!), typeOnly: false });
  return out;
}

function resolveSpecifier(file: string, spec: string): string {
  return spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
}

const layerOf = (path: string): string => (path.includes('/') ? path.split('/')[0]! : path.replace(/\.ts$/, ''));

const files = sources(SRC).map((f) => relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f))]));

describe('the import graph of src/', () => {
  it('puts every file in a known layer', () => {
    expect(files.filter((f) => !(layerOf(f) in ALLOWED))).toEqual([]);
  });

  it('imports only from lower layers (or its own)', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const i of imports) {
        if (!files.includes(i.to)) continue;
        const [from, to] = [layerOf(file), layerOf(i.to)];
        if (from !== to && !ALLOWED[from]!.includes(to)) upward.push(`${file} -> ${i.to}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const i of graph.get(f) ?? []) if (graph.has(i.to)) visit(i.to, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("keeps the page's code browser-safe: no Node built-ins or Node-only packages, however indirectly", () => {
    const reached = new Set<string>();
    const bad: string[] = [];
    const walk = (f: string): void => {
      if (reached.has(f)) return;
      reached.add(f);
      // type-only imports are erased: only the others load in the page
      for (const i of (graph.get(f) ?? []).filter((i) => !i.typeOnly)) {
        if (graph.has(i.to)) walk(i.to);
        else bad.push(`${f} -> ${i.to}`);
      }
    };
    walk('web/page.ts');
    walk('web/job-worker.ts');
    expect(reached.size).toBeGreaterThan(3);
    expect(bad).toEqual([]);
  });

  it('reads the import statements it checks', () => {
    const bench = graph.get('bench/run.ts')!.map((i) => i.to);
    expect(bench).toContain('runners/browser.ts');
    expect(bench).toContain('node:fs');
    expect(graph.get('runners/types.ts')!.find((i) => i.to === 'common/eps.ts')?.typeOnly).toBe(true);
  });
});
