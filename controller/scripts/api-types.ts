/** `pnpm api:types`: writes shared/src/api/paths.ts from the controller's routes. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument, pathsModule } from '../src/api/openapi-types';

const out = fileURLToPath(new URL('../../shared/src/api/paths.ts', import.meta.url));
writeFileSync(out, await pathsModule(await openApiDocument()));
process.stderr.write(`wrote ${out}\n`);
