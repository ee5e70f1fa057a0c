#!/usr/bin/env node
// `pnpm new-method <name> [--description "…"] [--root DIR]`: scaffolds packages/<name> (@lab/<name>) from
// tools/templates/method and writes a changeset. No dependencies: node:fs, node:path, node:util only.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const usage = `Usage: pnpm new-method <name> [--description "one line"]

Creates packages/<name> (npm name @lab/<name>, CLI lab-<name>) with src/, test/, bench/, README and a
changeset, ready to build, test and bench. <name> must be a valid npm package name part in kebab-case:
lowercase letters and digits, words separated by single hyphens, at most 50 characters (e.g. cia-lra).`;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { description: { type: 'string' }, root: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (err) {
  console.error(`new-method: ${err.message}\n\n${usage}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
const [name, ...extra] = parsed.positionals;
const fail = (message) => {
  console.error(`new-method: ${message}`);
  process.exit(1);
};
if (!name || extra.length > 0) fail(`expected exactly one name, got ${parsed.positionals.length}\n\n${usage}`);
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 50) {
  fail(
    `'${name}' is not a valid package name: use kebab-case (lowercase letters and digits, single hyphens, starting with a letter, at most 50 characters), e.g. 'cia-lra'`,
  );
}
if (['node_modules', 'favicon.ico'].includes(name)) fail(`'${name}' is reserved`);

const root = resolve(parsed.values.root ?? join(dirname(new URL(import.meta.url).pathname), '..', '..'));
const target = join(root, 'packages', name);
if (existsSync(target)) fail(`packages/${name} already exists; pick another name or remove it first`);

const camel = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = camel[0].toUpperCase() + camel.slice(1);
const description = parsed.values.description ?? `${pascal}: a @lab method package.`;
const fill = (text) =>
  text
    .replaceAll('__name__', name)
    .replaceAll('__camel__', camel)
    .replaceAll('__Pascal__', pascal)
    .replaceAll('__description__', description);

const templates = join(root, 'tools', 'templates', 'method');
const written = [];
function copyTree(from, to) {
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const dest = join(to, fill(entry).replace(/\.tmpl$/, ''));
    if (statSync(source).isDirectory()) copyTree(source, dest);
    else {
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, fill(readFileSync(source, 'utf8')));
      written.push(relative(root, dest));
    }
  }
}
copyTree(templates, target);

const changeset = join(root, '.changeset', `new-${name}.md`);
writeFileSync(changeset, `---\n"@lab/${name}": minor\n---\n\nNew package @lab/${name}: ${description}\n`);
written.push(relative(root, changeset));

console.log(`Created @lab/${name}:\n${written.map((f) => `  ${f}`).join('\n')}\n
Next: pnpm install && pnpm nx run-many -t build test bench -p @lab/${name}
Then follow docs/adding-a-method.md.`);
