/** Flags that work headless on a closed network. */
export declare const CHROMIUM_ARGS: string[];
/** The Chromium binary path. */
export declare function chromiumPath(): string;
