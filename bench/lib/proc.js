'use strict';
/** /proc readers: CPU time (user+system) and memory of processes, Linux only. */
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* default 100 */
}

function readStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** Descendants of pid (children, grandchildren...), found by scanning /proc. */
function descendants(pid) {
  const byParent = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(name);
    if (!stat) continue;
    if (!byParent.has(stat.ppid)) byParent.set(stat.ppid, []);
    byParent.get(stat.ppid).push(Number(name));
  }
  const out = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 1000) {
    for (const child of byParent.get(queue.shift()) || []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** CPU ms (user+system) used so far by pid, plus its descendants when tree is true. */
function cpuMs(pid, tree = true) {
  const pids = tree ? [pid, ...descendants(pid)] : [pid];
  let ticks = 0;
  for (const p of pids) {
    const stat = readStat(p);
    if (stat) ticks += stat.utime + stat.stime;
  }
  return (ticks * 1000) / clkTck;
}

/** Memory fields of /proc/<pid>/status in kB (VmHWM = peak RSS, VmRSS = current). */
function memKb(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (field) => {
      const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
      return m ? Number(m[1]) : null;
    };
    return { hwm: get('VmHWM'), rss: get('VmRSS') };
  } catch {
    return { hwm: null, rss: null };
  }
}

/** Polls VmRSS of a process tree every intervalMs and remembers the peak of the sum. */
class RssPoller {
  constructor(pid, intervalMs = 200) {
    this.pid = pid;
    this.peakKb = 0;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }
  sample() {
    let total = 0;
    for (const p of [this.pid, ...descendants(this.pid)]) total += memKb(p).rss || 0;
    if (total > this.peakKb) this.peakKb = total;
  }
  stop() {
    clearInterval(this.timer);
    this.sample();
    return this.peakKb;
  }
}

/** Pids whose /proc/<pid>/comm is one of names (e.g. redis-server, postgres). */
function pidsByComm(names) {
  const wanted = new Set(names);
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (wanted.has(fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim())) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Postgres backends serving one database (their command line names it) plus the Redis server(s). */
function infraPids(dbName) {
  const out = pidsByComm(['redis-server']);
  if (!dbName) return out;
  for (const pid of pidsByComm(['postgres'])) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${dbName} `)) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU ms of a set of pids (no descendants: the set is expected to be complete). */
function cpuMsOf(pids) {
  let total = 0;
  for (const p of pids) total += cpuMs(p, false);
  return total;
}

/** Machine-wide CPU ms from /proc/stat: busy (user+nice+system+irq+softirq) and steal. */
function systemCpuMs() {
  const first = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = first;
  return { busy: ((user + nice + system + irq + softirq) * 1000) / clkTck, steal: ((steal || 0) * 1000) / clkTck };
}

module.exports = { clkTck, cpuMs, cpuMsOf, systemCpuMs, infraPids, memKb, descendants, pidsByComm, RssPoller };
