import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Variables of the image's runtime that change how the process itself behaves, not the service. */
const RUNTIME_VARIABLES = ['MALLOC_ARENA_MAX', 'GLIBC_TUNABLES'];

export interface ProductionRuntime {
  /** The node flags of the image's CMD, between `node` and `dist/main.js`. */
  nodeFlags: string[];
  /** The image's ENV among RUNTIME_VARIABLES. */
  env: Record<string, string>;
}

/**
 * How the production image runs the service, read from the Dockerfile itself: the bench starts the
 * service with exactly these node flags and allocator settings, so that what it measures (memory
 * above all) is what a deployment gets.
 */
export function productionRuntime(root: string): ProductionRuntime {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
    // Continuation lines joined into one instruction each.
    .replace(/\\\r?\n/g, ' ');
  const lines = dockerfile.split(/\r?\n/).map((line) => line.trim());
  // The last CMD and ENV instructions are the runtime stage's.
  const cmd = lines.filter((line) => line.startsWith('CMD ')).at(-1);
  const command: unknown = cmd ? JSON.parse(cmd.slice(4)) : null;
  if (
    !Array.isArray(command) ||
    command[0] !== 'node' ||
    command.at(-1) !== 'dist/main.js' ||
    !command.every((part) => typeof part === 'string')
  ) {
    throw new Error('Dockerfile: expected CMD ["node", <flags>…, "dist/main.js"]');
  }
  const env: Record<string, string> = {};
  for (const line of lines.filter((candidate) => candidate.startsWith('ENV '))) {
    for (const [, name, value] of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)) {
      if (RUNTIME_VARIABLES.includes(name)) env[name] = value.replace(/^"|"$/g, '');
    }
  }
  return { nodeFlags: command.slice(1, -1) as string[], env };
}
