/** Weft's version, reported by `/healthz`, the CLI and the OpenAPI document. */
export const VERSION = '0.1.0';
