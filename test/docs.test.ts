// Every public export is documented, and every exported function, class and constant carries an
// @example (the API reference is generated from these comments by `npm run docs`).
import t from 'tap';
import * as path from 'node:path';
import ts from 'typescript';

t.test('public exports are documented with examples', async (t) => {
  const entry = path.join(__dirname, '..', 'src', 'index.ts');
  const program = ts.createProgram([entry], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, target: ts.ScriptTarget.ES2022, strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error('no src/index.ts');
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
  const missingDocs: string[] = [];
  const missingExamples: string[] = [];
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const docs = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    const declarations = symbol.getDeclarations() ?? [];
    const tags = declarations.flatMap((d) => ts.getJSDocTags(d));
    const signatureTags = declarations.flatMap((d) => (ts.isFunctionDeclaration(d) ? ts.getJSDocTags(d) : []));
    if (docs === '' && tags.length === 0) missingDocs.push(exported.name);
    const needsExample = symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable);
    if (needsExample && ![...tags, ...signatureTags].some((tag) => tag.tagName.text === 'example')) missingExamples.push(exported.name);
  }
  t.ok(exports.length > 20, `${exports.length} exports`);
  t.same(missingDocs, [], 'every export has a doc comment');
  t.same(missingExamples, [], 'every function, class and constant has an @example');
});
