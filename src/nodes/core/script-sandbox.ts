/**
 * The sandbox of `core::script`: QuickJS compiled to WebAssembly (quickjs-emscripten), one runtime
 * per node. Chosen over a Worker because a Worker cannot bound memory and shares the page's
 * network and globals; QuickJS has its own heap with a hard limit (`memory_limit_mb`), an
 * interrupt handler that stops a runaway call at its deadline (`timeout_ms`), and no host objects
 * but the few given here (console, telemetry, fetch through the host's allowlist). Packets go in
 * and out as JSON, so nothing of the engine is reachable from the script.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';

/** How long Weft's own setup code in the VM (console, prelude) may take, whatever the script's timeout_ms. */
const SETUP_TIMEOUT_MS = 5000;
/** WebAssembly pages (64 KiB) the QuickJS build needs before any script runs (16 MiB). */
const BASE_PAGES = 256;
const PAGE_BYTES = 65536;

/**
 * A QuickJS module of its own for one sandbox, on a WebAssembly memory that cannot grow past
 * `memoryLimitMb` above the build's base: QuickJS's own accounting misses large buffers and
 * strings in this build, the memory's maximum does not. The wasm is inlined in the variant.
 */
async function loadQuickJs(memoryLimitMb: number): Promise<QuickJSWASMModule> {
  const [{ newQuickJSWASMModuleFromVariant, newVariant }, variant] = await Promise.all([
    import('quickjs-emscripten-core'),
    import('@jitl/quickjs-singlefile-mjs-release-sync'),
  ]);
  const extra = memoryLimitMb > 0 ? Math.ceil((memoryLimitMb * 1024 * 1024) / PAGE_BYTES) : 65536 - BASE_PAGES;
  const wasmMemory = new WebAssembly.Memory({ initial: BASE_PAGES, maximum: Math.min(65536, BASE_PAGES + extra) });
  return newQuickJSWASMModuleFromVariant(newVariant(variant.default, { wasmMemory }));
}

/** Why a call into the script did not return a value. */
export class ScriptStop extends Error {
  override readonly name = 'ScriptStop';
  /** `timeout` and `memory` stop the node; `error` is the script's own exception. */
  readonly reason: 'timeout' | 'memory' | 'error';
  constructor(reason: ScriptStop['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface SandboxHost {
  log(level: 'log' | 'warn' | 'error', message: string): void;
  telemetry(eventType: string, data: unknown): void;
  /** A fetch the host allows, or a rejection saying why not. Resolves with the body text. */
  fetch(url: string, init: { method?: string; body?: string; headers?: Record<string, string> }): Promise<string>;
}

/** Wraps `process` so that packets cross as JSON strings (and `undefined` means "pass it on"). */
const PRELUDE = `
globalThis.__weft_call = function (json) {
  if (typeof process !== 'function') throw new Error('the script defines no process(packet) function');
  const encode = (out) => (out === undefined ? '"__pass__"' : JSON.stringify(out));
  const out = process(JSON.parse(json));
  return out && typeof out.then === 'function' ? out.then(encode) : encode(out);
};
`;

const CONSOLE = `
globalThis.console = {
  log: (...a) => __weft_log('log', a.map(String).join(' ')),
  info: (...a) => __weft_log('log', a.map(String).join(' ')),
  debug: (...a) => __weft_log('log', a.map(String).join(' ')),
  warn: (...a) => __weft_log('warn', a.map(String).join(' ')),
  error: (...a) => __weft_log('error', a.map(String).join(' ')),
};
globalThis.telemetry = {
  emit: (type, data) => __weft_telemetry(String(type), JSON.stringify(data === undefined ? {} : data)),
};
globalThis.fetch = (url, init) => __weft_fetch(String(url), JSON.stringify(init || {}));
`;

export class ScriptSandbox {
  readonly #runtime: QuickJSRuntime;
  readonly #vm: QuickJSContext;
  readonly #call: QuickJSHandle;
  readonly #timeoutMs: number;

  private constructor(runtime: QuickJSRuntime, vm: QuickJSContext, call: QuickJSHandle, timeoutMs: number) {
    this.#runtime = runtime;
    this.#vm = vm;
    this.#call = call;
    this.#timeoutMs = timeoutMs;
  }

  /** Compiles `source` with the limits; throws `ScriptStop` when it fails or runs away. */
  static async create(
    source: string,
    limits: { timeoutMs: number; memoryLimitMb: number },
    host: SandboxHost,
  ): Promise<ScriptSandbox> {
    const module = await loadQuickJs(limits.memoryLimitMb);
    const runtime = module.newRuntime();
    if (limits.memoryLimitMb > 0) runtime.setMemoryLimit(limits.memoryLimitMb * 1024 * 1024);
    runtime.setMaxStackSize(1024 * 1024);
    const vm = runtime.newContext();
    const str = (h: QuickJSHandle) => vm.getString(h);
    const fns: [string, QuickJSHandle][] = [
      [
        '__weft_log',
        vm.newFunction('__weft_log', (level, message) => {
          const l = str(level);
          host.log(l === 'warn' || l === 'error' ? l : 'log', str(message));
        }),
      ],
      [
        '__weft_telemetry',
        vm.newFunction('__weft_telemetry', (type, data) => {
          host.telemetry(str(type), JSON.parse(str(data)) as unknown);
          return vm.true;
        }),
      ],
      [
        '__weft_fetch',
        vm.newFunction('__weft_fetch', (url, init) => {
          // A promise in the VM, settled when the host's fetch is; its jobs then run at once.
          const promise = vm.newPromise();
          const settle = (apply: () => void): void => {
            if (!vm.alive) return;
            apply();
            pump();
          };
          host.fetch(str(url), JSON.parse(str(init)) as Parameters<SandboxHost['fetch']>[1]).then(
            (text) => settle(() => vm.newString(text).consume((h) => promise.resolve(h))),
            (error: unknown) =>
              settle(() =>
                vm.newError(error instanceof Error ? error.message : String(error)).consume((h) => promise.reject(h)),
              ),
          );
          return promise.handle;
        }),
      ],
    ];
    for (const [name, fn] of fns) {
      vm.setProp(vm.global, name, fn);
      fn.dispose();
    }
    const sandbox = (call: QuickJSHandle) => new ScriptSandbox(runtime, vm, call, limits.timeoutMs);
    // Runs the VM's pending promise jobs (after a fetch settles), within the script's deadline.
    const pump = (): void => {
      const end = Date.now() + limits.timeoutMs;
      runtime.setInterruptHandler(() => limits.timeoutMs > 0 && Date.now() > end);
      runtime.executePendingJobs().dispose();
    };
    try {
      const probe = new ScriptSandbox(runtime, vm, vm.undefined, limits.timeoutMs);
      // Weft's own setup code is not the script's time: on a loaded machine it may take longer
      // than a short timeout_ms.
      const setup = Math.max(limits.timeoutMs, SETUP_TIMEOUT_MS);
      probe.#eval(CONSOLE, 'weft-console.js', setup);
      probe.#eval(source, 'script.js');
      probe.#eval(PRELUDE, 'weft-prelude.js', setup);
      return sandbox(vm.getProp(vm.global, '__weft_call'));
    } catch (error) {
      vm.dispose();
      runtime.dispose();
      throw error;
    }
  }

  #deadline(ms = this.#timeoutMs): void {
    const end = Date.now() + ms;
    this.#runtime.setInterruptHandler(() => ms > 0 && Date.now() > end);
  }

  #unwrap(result: ReturnType<QuickJSContext['evalCode']>, where: string): QuickJSHandle {
    if (!result.error) return result.value;
    let error: { name?: string; message?: string } | string | null;
    try {
      error = this.#vm.dump(result.error) as typeof error;
    } catch {
      error = null; // out of memory, even for the error
    }
    result.error.dispose();
    const message =
      error === null
        ? 'out of memory'
        : typeof error === 'string'
          ? error
          : `${error.name ?? 'Error'}: ${error.message ?? ''}`;
    if (/interrupted/i.test(message))
      throw new ScriptStop(
        'timeout',
        `the script ran past its timeout_ms (${this.#timeoutMs} ms) in ${where} and was stopped`,
      );
    if (/out of memory/i.test(message))
      throw new ScriptStop('memory', `the script ran out of its memory_limit_mb in ${where} and was stopped`);
    throw new ScriptStop('error', `${where}: ${message}`);
  }

  #eval(code: string, file: string, timeoutMs = this.#timeoutMs): void {
    this.#deadline(timeoutMs);
    this.#unwrap(this.#vm.evalCode(code, file), file === 'script.js' ? 'the script' : file).dispose();
  }

  /**
   * Calls `process` with a packet as JSON; resolves with its answer as JSON text. An async
   * `process` (one that awaits `fetch()`) is waited for. Rejects with `ScriptStop`.
   */
  async process(packetJson: string): Promise<string> {
    this.#deadline();
    const arg = this.#vm.newString(packetJson);
    let out: QuickJSHandle;
    try {
      out = this.#unwrap(this.#vm.callFunction(this.#call, this.#vm.undefined, arg), 'process()');
    } finally {
      arg.dispose();
    }
    if (this.#vm.typeof(out) === 'string') {
      const text = this.#vm.getString(out);
      out.dispose();
      return text;
    }
    // A promise: settled by the VM's jobs, which run now and after each fetch.
    const settled = this.#vm.resolvePromise(out);
    out.dispose();
    this.#deadline();
    this.#runtime.executePendingJobs().dispose();
    const result = await settled;
    const value = this.#unwrap(result, 'process()');
    const text = this.#vm.getString(value);
    value.dispose();
    return text;
  }

  dispose(): void {
    this.#call.dispose();
    this.#vm.dispose();
    this.#runtime.dispose();
  }
}
