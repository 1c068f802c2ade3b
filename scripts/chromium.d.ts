/** Flags that work headless on a closed network. */
export declare const CHROMIUM_ARGS: string[];
/** The Chromium binary path. */
export declare function chromiumPath(): string;

/** The browser for headless workers (chromium-headless-shell when installed). */
export declare function headlessShellPath(): string;
/** True when a GPU device is present (override with WEFT_GPU=on|off). */
export declare function hasGpu(): boolean;
/** Flags that enable a real GPU adapter. */
export declare const GPU_ARGS: string[];
