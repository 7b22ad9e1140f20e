// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';


const root = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = ['agent', 'controller', 'shared', 'test', 'deploy', 'dashboard'];
/**
 * Which workspace packages each may name; the agent never imports the
 * controller and the reverse; the dashboard (a browser app) speaks to the
 * controller only over HTTP, through the one typed client of shared/src/api
 * (browser-safe: types made from the OpenAPI document and a transport-agnostic
 * caller), which is the only part of shared it may import.
 */
const MAY_NOT_IMPORT = {
  agent: ['@patchfleet/controller'],
  controller: ['@patchfleet/agent'],
  shared: ['@patchfleet/agent', '@patchfleet/controller'],
  dashboard: ['@patchfleet/agent', '@patchfleet/controller', '@patchfleet/shared', '@patchfleet/test'],
};
/** Exceptions to MAY_NOT_IMPORT, exact module names. */
const MAY_IMPORT = {
  dashboard: ['@patchfleet/shared/api'],
};

const packageOf = (file) => {
  const first = path.relative(root, file).split(path.sep)[0];
  return PACKAGES.includes(first) ? first : undefined;
};

/**
 * Packages import each other only by package name (`@patchfleet/shared/...`),
 * never by a relative path that leaves the package, and the agent and the
 * controller never import each other.
 */
const boundaries = {
  meta: { type: 'problem', schema: [], messages: {
    relative: "'{{source}}' leaves the {{from}} package: import it by package name (@patchfleet/{{to}}/...)",
    forbidden: 'the {{from}} package may not import {{source}}',
  } },
  create(context) {
    const from = packageOf(context.filename);
    if (!from) return {};
    const check = (node) => {
      const source = node.source && node.source.value;
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const to = packageOf(path.resolve(path.dirname(context.filename), source));
        if (to !== from) context.report({ node, messageId: 'relative', data: { source, from, to: to ?? '?' } });
        return;
      }
      if ((MAY_IMPORT[from] ?? []).includes(source)) return;
      const banned = (MAY_NOT_IMPORT[from] ?? []).find((p) => source === p || source.startsWith(`${p}/`));
      if (banned) context.report({ node, messageId: 'forbidden', data: { source, from } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.patchfleet/**', 'controller/src/db/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { patchfleet: { rules: { boundaries } } },
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|describe|test)$/]", message: 'no .only on main' }],
      'patchfleet/boundaries': 'error',
    },
  },
  {
    // Each table has one owner module; routes call its services, never SQL (DESIGN.md, "How we write code here").
    files: ['controller/src/api/**/*.ts'],
    ignores: ['controller/src/api/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'drizzle-orm', message: 'Routes call services, never SQL: put the query in the module that owns the table and call it.' }],
        patterns: [
          { regex: '^drizzle-orm/', message: 'Routes call services, never SQL: put the query in the module that owns the table and call it.' },
          { regex: '/db/schema(/|$)', message: 'Routes call services, never SQL: import types and values from the owner module, not the schema.' },
        ],
      }],
    },
  },
);
