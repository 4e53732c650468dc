'use strict';
/**
 * Portkey gateway (@portkey-ai/gateway@1.15.2), installed into a temp dir that is reused
 * between runs, with @hono/node-server pinned to 1.13.8 through npm overrides.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnChild, stopChild } = require('./children');

const VERSION = '1.15.2';
const HONO_NODE_SERVER = '1.13.8';
const DIR = path.join(os.tmpdir(), 'tollgate-bench-portkey');
const PKG_DIR = path.join(DIR, 'node_modules', '@portkey-ai', 'gateway');

function versionOf(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** Where @hono/node-server resolves from the gateway package (nested or hoisted). */
function honoNodeServerVersion() {
  for (const dir of [path.join(PKG_DIR, 'node_modules', '@hono', 'node-server'), path.join(DIR, 'node_modules', '@hono', 'node-server')]) {
    const v = versionOf(dir);
    if (v) return v;
  }
  return null;
}

function isInstalled() {
  return (
    versionOf(PKG_DIR) === VERSION &&
    honoNodeServerVersion() === HONO_NODE_SERVER &&
    fs.existsSync(path.join(PKG_DIR, 'build', 'start-server.js'))
  );
}

/** Installs (or reuses) Portkey. Resolves {ok, dir, cached, message}. Never throws. */
async function ensurePortkey({ logFile, timeoutMs = 150_000, log = console.log } = {}) {
  if (isInstalled()) return { ok: true, dir: PKG_DIR, cached: true };
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(
    path.join(DIR, 'package.json'),
    JSON.stringify(
      { name: 'tollgate-bench-portkey', private: true, version: '0.0.0', dependencies: {}, overrides: { '@hono/node-server': HONO_NODE_SERVER } },
      null,
      2,
    ),
  );
  log(`  installing @portkey-ai/gateway@${VERSION} into ${DIR} (log: ${logFile}) ...`);
  // The outer `npm run` exports npm_* variables, among them npm_config_local_prefix=<this repo>
  // and npm_config_prefix: keep those away from this install (it must land in DIR), but pass on
  // the ones that say how to reach the registry.
  const KEEP = /^npm_config_(registry|.*:registry|cafile|ca|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl)$/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEEP.test(k)));
  const child = spawnChild(
    'npm-install-portkey',
    'npm',
    [
      'install',
      '--prefix',
      DIR,
      '--save-exact',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      // Without a network, fail within seconds rather than retrying for minutes.
      '--fetch-retries=1',
      '--fetch-retry-mintimeout=2000',
      '--fetch-retry-maxtimeout=5000',
      `@portkey-ai/gateway@${VERSION}`,
    ],
    { cwd: DIR, env, logFile },
  );
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      stopChild(child, 2_000);
      resolve('timeout');
    }, timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve('spawn-error');
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) return { ok: false, message: `npm install failed (${code}); see ${logFile}` };
  if (!isInstalled()) {
    return {
      ok: false,
      message: `installed, but gateway=${versionOf(PKG_DIR)} @hono/node-server=${honoNodeServerVersion()} (expected ${VERSION}/${HONO_NODE_SERVER}); see ${logFile}`,
    };
  }
  return { ok: true, dir: PKG_DIR, cached: false };
}

function startPortkey({ port, logFile }) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  // Portkey has no host option: the preload makes it listen on 127.0.0.1 only.
  const preload = path.join(__dirname, 'bind-localhost.js');
  return spawnChild('portkey', process.execPath, ['--require', preload, 'build/start-server.js', `--port=${port}`, '--headless'], {
    cwd: PKG_DIR,
    env: { ...env, NODE_ENV: 'production' },
    logFile,
  });
}

module.exports = { ensurePortkey, startPortkey, PORTKEY_VERSION: VERSION, PORTKEY_DIR: DIR };
