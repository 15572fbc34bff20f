import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Jest runs from the repository's root (and as ES modules, without __dirname). */
const SOURCE_ROOT = resolve(process.cwd(), 'libs/session-auth/src');
/** What an app that only verifies tokens does not install (see package.json's optional peers). */
const FORBIDDEN = ['typeorm', 'pg', 'argon2', 'ioredis', '@nestjs/typeorm'];

/** Every module specifier a file imports, exports from, requires or imports dynamically. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${relative(SOURCE_ROOT, from)} imports ${specifier}, which is not a source file`,
  );
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Walks the import graph from an entry point, breadth first, and returns for each package reached
 * the chain of files that leads to it (the shortest one).
 */
function packagesReachedFrom(entry: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[entry, [entry]]]);
  const reached = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    const chain = chains.get(file)!;
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (!chains.has(target)) {
          chains.set(target, [...chain, target]);
          queue.push(target);
        }
      } else if (!reached.has(packageOf(specifier))) {
        reached.set(packageOf(specifier), [...chain, specifier]);
      }
    }
  }
  return reached;
}

function shown(chain: string[]): string {
  return chain
    .map((step) => (step.startsWith('/') ? relative(SOURCE_ROOT, step) : step))
    .join(' → ');
}

describe('the resource-server entry point', () => {
  it('reaches none of typeorm, pg, argon2, ioredis or @nestjs/typeorm, however indirectly', () => {
    const reached = packagesReachedFrom(join(SOURCE_ROOT, 'resource-server/index.ts'));
    const offending = FORBIDDEN.filter((name) => reached.has(name)).map((name) =>
      shown(reached.get(name)!),
    );
    expect(offending).toEqual([]);
    // The walk itself works: it reaches what the entry point does need.
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['jose', '@nestjs/common']));
  });

  it('is told apart from the main entry point, which does reach them', () => {
    const reached = packagesReachedFrom(join(SOURCE_ROOT, 'index.ts'));
    expect(shown(reached.get('typeorm')!)).toMatch(/^index\.ts → .+ → typeorm$/);
    expect(reached.has('argon2')).toBe(true);
  });
});
