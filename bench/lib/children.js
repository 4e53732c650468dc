'use strict';
/**
 * Every child process the bench starts is registered here, in its own process group, and is
 * killed at the end: on normal completion, on error, on SIGINT/SIGTERM and on process exit.
 */
const { spawn, fork } = require('node:child_process');
const fs = require('node:fs');

const children = new Set();
const cleanups = [];

function register(child, name) {
  child.benchName = name;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** spawn(), with stdout+stderr to logFile when given, in a new process group. */
function spawnChild(name, command, args, options = {}) {
  const { logFile, ...rest } = options;
  let stdio = ['ignore', 'inherit', 'inherit'];
  let fd = null;
  if (logFile) {
    fd = fs.openSync(logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const child = spawn(command, args, { ...rest, stdio, detached: true });
  if (fd !== null) fs.closeSync(fd);
  return register(child, name);
}

/** fork() a bench helper that reports {ready, port} over IPC; resolves with the port. */
function forkHelper(name, modulePath, env, logFile, timeoutMs = 10_000) {
  const fd = fs.openSync(logFile, 'a');
  const child = fork(modulePath, [], { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd, 'ipc'], detached: true });
  fs.closeSync(fd);
  register(child, name);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms (see ${logFile})`)), timeoutMs);
    child.once('message', (msg) => {
      clearTimeout(timer);
      if (msg && msg.ready) resolve({ child, port: msg.port });
      else reject(new Error(`${name}: unexpected message ${JSON.stringify(msg)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early with code ${code} (see ${logFile})`));
    });
  });
}

/** SIGTERM, then SIGKILL after timeoutMs. Resolves once the child has exited. */
function stopChild(child, timeoutMs = 5_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      setTimeout(resolve, 200);
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      // Anything left in its group goes too.
      killGroup(child, 'SIGKILL');
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

function killAllSync() {
  for (const child of children) killGroup(child, 'SIGKILL');
}

/** Async cleanups (drop the database...) run once, on normal end or on a signal. */
function onCleanup(fn) {
  cleanups.push(fn);
}

let cleaning = null;
function runCleanups(timeoutMs = 15_000) {
  if (cleaning) return cleaning;
  const all = (async () => {
    await Promise.all([...children].map((c) => stopChild(c, 3_000)));
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup failed: ${error && error.message}`);
      }
    }
  })();
  cleaning = Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]).finally(killAllSync);
  return cleaning;
}

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping child processes and cleaning up...`);
    runCleanups(10_000).finally(() => process.exit(130));
  });
}

module.exports = { spawnChild, forkHelper, stopChild, killAllSync, onCleanup, runCleanups };
