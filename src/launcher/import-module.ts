/**
 * import() of a module from outside the bundle (a custom adapter). The bundle runs from V8's code
 * cache through vm.Script, which has no loader for import(), so the build turns import() into
 * require() (which cannot load every ES module); the launcher (launch.ts), a module Node loaded
 * itself, hands in its own import() instead. Run from the sources (tests), import() works as it
 * is.
 */
type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

export function setModuleImporter(next: Importer): void {
  importer = next;
}

export function importModule(specifier: string): Promise<unknown> {
  return importer(specifier);
}
