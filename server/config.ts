/**
 * Server settings from command-line flags and environment, with safe defaults.
 */
import { isIP } from 'node:net';

/** StreamKit's default port, kept so that existing clients find Weft. */
export const DEFAULT_PORT = 4545;
/** Loopback only by default. */
export const DEFAULT_HOST = '127.0.0.1';

/** Settings of `weft serve`. */
export interface ServeConfig {
  host: string;
  port: number;
  studioDir: string;
}

/** Parses `--host H --port P --studio DIR` (flags win over WEFT_HOST / WEFT_PORT). */
export function parseServeArgs(args: readonly string[], env: Record<string, string | undefined>): ServeConfig {
  const config: ServeConfig = {
    host: env.WEFT_HOST ?? DEFAULT_HOST,
    port: env.WEFT_PORT ? Number(env.WEFT_PORT) : DEFAULT_PORT,
    studioDir: env.WEFT_STUDIO_DIR ?? 'dist',
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag === '--host' && value) config.host = value;
    else if (flag === '--port' && value) config.port = Number(value);
    else if (flag === '--studio' && value) config.studioDir = value;
    else throw new Error(`unknown or incomplete option '${flag ?? ''}' (known: --host H, --port P, --studio DIR)`);
    i++;
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new Error(`--port must be an integer 0–65535, got '${String(config.port)}'`);
  }
  return config;
}

/** True for loopback addresses and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}
