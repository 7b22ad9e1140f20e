import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openApiDocument, pathsModule } from './openapi-types';

describe('the OpenAPI document', () => {
  it('puts every route under /api/v1 and gives every operation a typed success answer (or a redirect)', async () => {
    const doc = await openApiDocument();
    const paths = Object.entries(doc.paths ?? {});
    expect(paths.length).toBeGreaterThan(50);
    const untyped: string[] = [];
    for (const [path, item] of paths) {
      expect(path.startsWith('/api/v1/'), path).toBe(true);
      for (const [method, op] of Object.entries(item as Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>)) {
        const ok = Object.entries(op.responses ?? {}).find(([status]) => /^2\d\d$/.test(status));
        const schema = ok?.[1].content ? Object.values(ok[1].content)[0]?.schema : undefined;
        // A redirect (302 with a description) is a typed answer too: it has no body.
        const redirect = Object.keys(op.responses ?? {}).some((status) => /^30\d$/.test(status));
        if (!schema && !redirect) untyped.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(untyped).toEqual([]);
  });

  it('matches the committed client types (run `pnpm api:types` after changing a route)', async () => {
    const committed = readFileSync(fileURLToPath(new URL('../../../shared/src/api/paths.ts', import.meta.url)), 'utf8');
    expect(await pathsModule(await openApiDocument())).toBe(committed);
  });
});
