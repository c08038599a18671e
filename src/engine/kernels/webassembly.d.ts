// The parts of the WebAssembly JS API that nibble uses. Node provides the
// global at run time, but tsconfig's lib (ES2022, no DOM) does not type it,
// and pulling in lib.dom would add a browser's globals to every file.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  interface ModuleExportDescriptor {
    kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
    name: string;
  }
  class Module {
    constructor(bytes: BufferSource);
    static exports(module: Module): ModuleExportDescriptor[];
  }
  type ExportValue = unknown;
  type Exports = Record<string, ExportValue>;
  type Imports = Record<string, Record<string, unknown>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  function validate(bytes: BufferSource): boolean;
  type BufferSource = ArrayBufferView | ArrayBuffer;
}
