import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The folder order app.module.ts states is the one the code keeps: no file imports from a folder
// that comes after its own, so a reader can learn the app bottom-up without meeting a forward reference.

const APP = __dirname;

/** The folders of app.module.ts's "Folders, lowest first" paragraph (its lines with arrows), in order. */
function statedOrder(): string[] {
  const doc = readFileSync(join(APP, 'app.module.ts'), 'utf8');
  const start = doc.indexOf('Folders, lowest first');
  const paragraph = doc.slice(start, doc.indexOf('*/', start));
  return paragraph
    .split('\n')
    .filter((line) => line.includes('→'))
    .join(' ')
    .replace(/\*/g, ' ')
    .split('→')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(APP, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

/**
 * The app folders a file reaches by relative paths in imports, re-exports, side-effect imports,
 * `require`, `import()` and `jest.mock`, resolved against the file's own folder.
 */
function importedFolders(file: string): string[] {
  const text = readFileSync(join(APP, file), 'utf8');
  const reference = /(?:from |import |require\(|import\(|jest\.mock\()'(\.{1,2}\/[^']*)'/g;
  return [...text.matchAll(reference)]
    .map((match) => relative(APP, resolve(APP, dirname(file), match[1])).split(sep)[0])
    .filter((folder) => folder !== '..' && !folder.includes('.'));
}

describe('inference-api folder order', () => {
  const order = statedOrder();
  const folders = readdirSync(APP, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it('states every folder of the app once', () => {
    expect(order.length).toBeGreaterThan(10);
    expect([...order].sort()).toEqual([...folders].sort());
  });

  it('has no import from a folder that comes later in the order', () => {
    const backwards = folders.flatMap((folder) =>
      sourceFiles(folder).flatMap((file) =>
        importedFolders(file)
          .filter((target) => order.indexOf(target) > order.indexOf(folder))
          .map((target) => `${file} imports from ${target}/`),
      ),
    );
    expect(backwards).toEqual([]);
  });

  it('reads the imports it checks', () => {
    // Guards the pattern above: a known downward import must be seen.
    expect(importedFolders(join('scoring', 'scoring.service.ts'))).toContain('routing');
  });
});
