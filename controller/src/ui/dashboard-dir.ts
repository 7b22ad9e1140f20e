/** Where the built dashboard is: the `dist/` folder of the @patchfleet/dashboard package (`pnpm build` makes it). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The dashboard's build folder, found through the package (not a path relative to this file). */
export function dashboardDistDir(): string {
  const manifest = createRequire(import.meta.url).resolve('@patchfleet/dashboard/package.json');
  return join(dirname(manifest), 'dist');
}
