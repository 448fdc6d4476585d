// Every public export is documented, every exported function, class and constant carries an
// @example, every public member of an exported class has a doc comment (the API reference is
// generated from these comments by `npm run docs`), and typedoc itself builds the reference with
// no warning.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const root = path.join(__dirname, '..');
const entry = path.join(root, 'src', 'index.ts');
const program = ts.createProgram([entry], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, target: ts.ScriptTarget.ES2022, strict: true });
const checker = program.getTypeChecker();
const source = program.getSourceFile(entry);
if (!source) throw new Error('no src/index.ts');
const publicExports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).map((exported) => ({
  name: exported.name,
  symbol: exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported,
}));

function documented(symbol: ts.Symbol): boolean {
  const docs = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  return docs !== '' || (symbol.getDeclarations() ?? []).some((d) => ts.getJSDocTags(d).length > 0);
}

t.test('public exports are documented with examples', async (t) => {
  const missingDocs: string[] = [];
  const missingExamples: string[] = [];
  for (const { name, symbol } of publicExports) {
    const declarations = symbol.getDeclarations() ?? [];
    const tags = declarations.flatMap((d) => ts.getJSDocTags(d));
    const signatureTags = declarations.flatMap((d) => (ts.isFunctionDeclaration(d) ? ts.getJSDocTags(d) : []));
    if (!documented(symbol)) missingDocs.push(name);
    const needsExample = symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable);
    if (needsExample && ![...tags, ...signatureTags].some((tag) => tag.tagName.text === 'example')) missingExamples.push(name);
  }
  t.ok(publicExports.length > 20, `${publicExports.length} exports`);
  t.same(missingDocs, [], 'every export has a doc comment');
  t.same(missingExamples, [], 'every function, class and constant has an @example');
});

t.test('public methods, getters and properties of exported classes are documented', async (t) => {
  const missing: string[] = [];
  const classes: string[] = [];
  let members = 0;
  for (const { name, symbol } of publicExports) {
    if (!(symbol.flags & ts.SymbolFlags.Class)) continue;
    classes.push(name);
    for (const declaration of (symbol.getDeclarations() ?? []).filter(ts.isClassDeclaration)) {
      for (const member of declaration.members) {
        if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member) || ts.isIndexSignatureDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
        const flags = ts.getCombinedModifierFlags(member);
        if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || (member.name && ts.isPrivateIdentifier(member.name))) continue;
        const memberSymbol = member.name ? checker.getSymbolAtLocation(member.name) : undefined;
        if (!memberSymbol) continue;
        members++;
        if (!documented(memberSymbol)) missing.push(`${name}.${memberSymbol.name}`);
      }
    }
  }
  for (const expected of ['BinaryHopfield', 'FactorGraph', 'LatentHopfield', 'HopfieldMemory', 'HopfieldPooling', 'AdamW', 'Rng']) t.ok(classes.includes(expected), `${expected} is checked`);
  t.ok(members > 50, `${members} public members of ${classes.length} classes`);
  t.same([...new Set(missing)], [], 'every public class member has a doc comment');
});

const typedoc = path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const typedocMissing = fs.existsSync(typedoc) ? false : 'typedoc is not installed (npm ci installs it as a dev dependency)';

t.test('typedoc builds the reference with validation and no warning', { timeout: 300000, skip: typedocMissing }, async (t) => {
  const out = t.testdir();
  const r = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  const output = `${r.stdout}${r.stderr}`;
  t.equal(r.status, 0, output);
  t.same(output.split('\n').filter((l) => /^\[(warning|error)\]/.test(l)), [], 'no warnings or errors');
  t.ok(fs.existsSync(path.join(out, 'index.html')), 'index.html written');
  t.ok(fs.existsSync(path.join(out, 'classes', 'HopfieldMemory.html')), 'a class page written');
});
