'use strict';
/**
 * Summarises a V8 .cpuprofile (from node --cpu-prof): self time per function and per file or
 * package, optionally only for samples inside a time window (CLOCK_MONOTONIC microseconds,
 * which is what process.hrtime.bigint() / 1000n gives in another process on Linux).
 *
 *   node bench/lib/cpuprofile.js /tmp/.../gateway.cpuprofile [top]
 */
const fs = require('node:fs');

function shortFile(url) {
  if (!url) return '(native/internal)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = clean.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    const file = rest.slice(rest[0].startsWith('@') ? 2 : 1).join('/');
    return `${pkg}: ${file}`;
  }
  const dist = clean.indexOf('/dist/');
  if (dist !== -1) return clean.slice(dist + 1);
  return clean.startsWith('node:') ? clean : clean.split('/').slice(-3).join('/');
}

function packageOf(url) {
  if (!url) return '(native/internal)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = clean.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (clean.startsWith('node:')) return 'node core';
  const dist = clean.indexOf('/dist/');
  if (dist !== -1) {
    const parts = clean.slice(dist + 1).split('/');
    return parts.slice(0, 3).join('/'); // dist/apps/gateway or dist/libs/providers
  }
  return clean;
}

function summarize(file, { startUs = null, endUs = null, top = 25 } = {}) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let t = profile.startTime;
  let windowTotal = 0;
  let allTotal = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] || 0;
    // Each sample stands for the time until the next one.
    const dt = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    allTotal += dt;
    if ((startUs !== null && t < startUs) || (endUs !== null && t > endUs)) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) || 0) + dt);
    windowTotal += dt;
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const isUserland = (url) => !!url && (url.includes('/node_modules/') || url.includes('/dist/'));
  const frameName = (cf) => `${cf.functionName || '(anonymous)'}  ${shortFile(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
  // Nearest user-land frame (node_modules or dist) at or above a node: who asked for this work.
  const ownerOf = (id) => {
    let cur = id;
    for (let depth = 0; cur !== undefined && depth < 200; depth++) {
      const cf = byId.get(cur).callFrame;
      if (isUserland(cf.url)) return frameName(cf);
      cur = parent.get(cur);
    }
    return null;
  };
  const fnAgg = new Map();
  const pkgAgg = new Map();
  const ownerAgg = new Map();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const key = frameName(cf);
    fnAgg.set(key, (fnAgg.get(key) || 0) + us);
    const pkg = cf.url ? packageOf(cf.url) : `(native) ${cf.functionName}`; // (program), (garbage collector), writev...
    pkgAgg.set(pkg, (pkgAgg.get(pkg) || 0) + us);
    const owner = isUserland(cf.url) ? key : ownerOf(id);
    const ownerKey = owner ? owner : `(no user-land caller) ${cf.functionName || '(anonymous)'}`;
    ownerAgg.set(ownerKey, (ownerAgg.get(ownerKey) || 0) + us);
  }
  const busy = windowTotal - idle;
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, pctOfBusy: busy > 0 ? Math.round((1000 * us) / busy) / 10 : 0 }));
  return {
    file,
    windowed: startUs !== null || endUs !== null,
    sampledMs: Math.round(windowTotal / 1000),
    wholeProfileMs: Math.round(allTotal / 1000),
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    topFunctions: rank(fnAgg),
    topPackages: rank(pkgAgg),
    topOwners: rank(ownerAgg),
  };
}

function print(summary, log = console.log) {
  log(`  profile ${summary.file}`);
  log(`  window: ${summary.windowed ? 'selected phases only' : 'whole process life'}; busy ${summary.busyMs} ms, idle ${summary.idleMs} ms`);
  log('  top self time by function:');
  for (const f of summary.topFunctions) log(`    ${String(f.pctOfBusy).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.name}`);
  log('  top self time by package / file group:');
  for (const p of summary.topPackages) log(`    ${String(p.pctOfBusy).padStart(5)}%  ${String(p.ms).padStart(8)} ms  ${p.name}`);
  if (summary.topOwners) {
    log('  self time charged to the nearest user-land frame (node_modules or dist) on the stack:');
    for (const p of summary.topOwners) log(`    ${String(p.pctOfBusy).padStart(5)}%  ${String(p.ms).padStart(8)} ms  ${p.name}`);
  }
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/cpuprofile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  print(summarize(file, { top: Number(top) || 25 }));
}

module.exports = { summarize, print };
