import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { parseAst } from 'rolldown/parseAst';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Globals that tie code to one runtime. */
const RUNTIME_GLOBALS = new Set(['process', 'Deno', 'Bun', 'require', 'module', 'Buffer', '__dirname', '__filename', 'global']);
/** The one module that may load Node's modules, and only these, lazily: Node's worker path. */
const NODE_PATH = { module: 'engine/node-workers.js', imports: ['node:worker_threads', 'node:os'] };

/** The core: every module in dist/ but the CLI's and the ONNX export's (an entry point of its own, with protobufjs). */
function coreModules(folder = ''): string[] {
  return readdirSync(`${root}dist/${folder}`, { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}${entry.name}`;
    if (entry.isDirectory()) return path === 'cli' || path === 'onnx' ? [] : coreModules(`${path}/`);
    return path.endsWith('.js') ? [path] : [];
  });
}

interface Node {
  type: string;
  [key: string]: unknown;
}

/** Every node with its parent and the key it sits under. */
function* walk(node: unknown, parent?: Node, key?: string): Generator<{ node: Node; parent?: Node; key?: string }> {
  if (Array.isArray(node)) {
    for (const child of node) yield* walk(child, parent, key);
  } else if (node && typeof node === 'object' && typeof (node as Node).type === 'string') {
    yield { node: node as Node, parent, key };
    for (const [childKey, value] of Object.entries(node))
      if (value && typeof value === 'object') yield* walk(value, node as Node, childKey);
  }
}

/** Identifiers in binding positions: names the module itself declares. */
function declaredNames(ast: Node): Set<string> {
  const names = new Set<string>();
  const bindings = (pattern: unknown) => {
    for (const { node, parent, key } of walk(pattern)) {
      const propertyKey = parent?.type === 'Property' && key === 'key' && !parent.computed;
      if (node.type === 'Identifier' && !propertyKey) names.add(node.name as string);
    }
  };
  for (const { node } of walk(ast)) {
    if (node.type === 'VariableDeclarator') bindings(node.id);
    if (/Function/.test(node.type)) bindings([node.id, node.params]);
    if (/^Class/.test(node.type)) bindings(node.id);
    if (node.type === 'CatchClause') bindings(node.param);
    if (/^Import.*Specifier$/.test(node.type)) bindings(node.local);
  }
  return names;
}

/** Whether an identifier is a property name, not a reference to a variable. */
function isPropertyName(parent: Node | undefined, key: string | undefined): boolean {
  if (!parent || parent.computed) return false;
  return (
    (parent.type === 'MemberExpression' && key === 'property') ||
    (/^(Property|MethodDefinition|PropertyDefinition)$/.test(parent.type) && key === 'key')
  );
}

/** What a module refers to that is not plain ECMAScript and web platform. */
function runtimeTies(module: string): string[] {
  const ast = parseAst(readFileSync(`${root}dist/${module}`, 'utf8')) as unknown as Node;
  const declared = declaredNames(ast);
  const ties: string[] = [];
  for (const { node, parent, key } of walk(ast)) {
    const name = node.name as string;
    if (node.type === 'Identifier' && RUNTIME_GLOBALS.has(name) && !declared.has(name) && !isPropertyName(parent, key)) {
      ties.push(`uses ${name}`);
    }
    const { object, property } = node as { object?: Node; property?: Node };
    if (node.type === 'MemberExpression' && object?.name === 'globalThis' && RUNTIME_GLOBALS.has(property?.name as string)) {
      ties.push(`uses globalThis.${property!.name as string}`);
    }
    const source = (node.source as { value?: unknown } | undefined)?.value;
    if (typeof source !== 'string' || source.startsWith('./') || source.startsWith('../')) continue;
    const lazyNodeImport = node.type === 'ImportExpression' && module === NODE_PATH.module && NODE_PATH.imports.includes(source);
    if (!lazyNodeImport) ties.push(`${node.type === 'ImportExpression' ? 'import()s' : 'imports'} ${source}`);
  }
  return ties;
}

describe('the core (dist/ but the CLI and the ONNX export)', () => {
  it('touches no fs, process, Deno, Bun or require; loads Node modules only lazily, in node-workers.js', () => {
    const modules = coreModules();
    expect(modules).toContain(NODE_PATH.module);
    const ties = Object.fromEntries(modules.map((module) => [module, runtimeTies(module)]).filter(([, found]) => found.length > 0));
    expect(ties).toEqual({});
  });

  describe("bundled for the browser by rolldown (Vite's bundler), from the package's ESM as it is", () => {
    async function bundle(name: string, code: string): Promise<{ code: string; logs: string[] }> {
      const folder = `${root}build/bundle-check`;
      mkdirSync(folder, { recursive: true });
      writeFileSync(`${folder}/${name}.js`, code);
      const logs: string[] = [];
      const build = await rolldown({
        input: `${folder}/${name}.js`,
        platform: 'browser',
        onLog: (level, log) => logs.push(`${level}: ${log.message}`),
      });
      const { output } = await build.generate({ format: 'esm' });
      await build.close();
      return { code: output.map((chunk) => ('code' in chunk ? chunk.code : '')).join('\n'), logs };
    }

    it('tree-shakes: descriptorDistance alone is a few hundred bytes, with no wasm', async () => {
      const { code, logs } = await bundle(
        'distance-only',
        "import { descriptorDistance } from '../../dist/index.js';\nconsole.log(descriptorDistance([0], [1]));\n",
      );
      expect(logs).toEqual([]);
      expect(code).not.toMatch(/KERNELS_BASE64|WebAssembly|Worker/);
      expect(code.length).toBeLessThan(1500);
    });

    it("bundles the whole face model with no warning, Node's worker path left as lazy import()s", async () => {
      const { code, logs } = await bundle(
        'face-model',
        "import { loadFaceRecognitionModel } from '../../dist/index.js';\nexport const load = loadFaceRecognitionModel;\n",
      );
      expect(logs).toEqual([]);
      expect(code).toContain('KERNELS_BASE64');
      expect(code.match(/^import .*/gm)).toBeNull();
      expect(code.match(/import\("node:[\w_]+"\)/g)?.sort()).toEqual(['import("node:os")', 'import("node:worker_threads")']);
    });
  });
});
