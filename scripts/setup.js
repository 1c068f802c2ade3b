#!/usr/bin/env node
// Makes a fresh Debian machine ready for Weft: npm dependencies and Chromium (plus ffmpeg for
// tests). Installs system packages with apt-get when running as root; otherwise prints the one
// command to run. Plain JavaScript with no dependencies, because it runs before `npm ci`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chromiumPath } from './chromium.js';

const purpose = process.argv[2] === 'test' ? 'test' : 'start';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`weft: Node ${process.versions.node} is too old; Weft needs Node 20.19 or newer.`);
  process.exit(1);
}

function run(cmd, args) {
  console.error(`weft setup: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`weft setup: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// 1. npm dependencies, when missing or older than the lockfile.
const marker = 'node_modules/.package-lock.json';
if (
  !existsSync(marker) ||
  (existsSync('package-lock.json') && statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs)
) {
  run(
    'npm',
    existsSync('package-lock.json') ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'],
  );
}

// 2. System packages: Chromium runs pipelines headless (and the browser tests); ffmpeg checks outputs.
const has = (bin) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = [];
if (!existsSync(chromiumPath())) missing.push('chromium');
// Headless workers prefer the lighter shell build; the full browser works too, so it is a bonus.
const wantShell = !existsSync('/usr/bin/chromium-headless-shell');
if (purpose === 'test' && !has('ffprobe')) missing.push('ffmpeg');
// The scale-out tests start a throwaway redis-server.
if (purpose === 'test' && !has('redis-server')) missing.push('redis-server');
// The voice tests speak their test audio with espeak-ng (known words, known silences).
if (purpose === 'test' && !has('espeak-ng')) missing.push('espeak-ng');
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `weft: missing ${missing.join(', ')}. Install with:\n\n  sudo apt-get install -y ${missing.join(' ')}\n`,
    );
    process.exit(1);
  }
  run('apt-get', ['update', '-q']);
  run('apt-get', [
    'install',
    '-y',
    '-q',
    '--no-install-recommends',
    ...missing,
    ...(wantShell ? ['chromium-headless-shell'] : []),
  ]);
}
