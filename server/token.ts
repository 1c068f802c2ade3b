/**
 * The API token for non-loopback binds: `WEFT_TOKEN` if set, else the one stored in the data
 * directory (mode 0600), created on first start and printed exactly once.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Returns the token and whether it was just created (the caller prints it once). */
export async function loadOrCreateToken(
  dataDir: string,
  env: Record<string, string | undefined>,
): Promise<{ token: string; created: boolean; path: string }> {
  const path = join(dataDir, 'token');
  if (env.WEFT_TOKEN) return { token: env.WEFT_TOKEN, created: false, path: 'WEFT_TOKEN' };
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (token.length >= 32) return { token, created: false, path };
  } catch {
    // no token yet: created below
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { token, created: true, path };
}

/** A secret for signing webhooks, kept next to the token (0600). */
export async function loadOrCreateSecret(dataDir: string, name: string): Promise<string> {
  const path = join(dataDir, name);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('hex');
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}
