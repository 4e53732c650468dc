'use strict';
/**
 * Preloaded (node --require) into third-party servers that offer no host option, so they
 * listen on 127.0.0.1 instead of every interface. Only listen(port[, undefined][, cb]) calls
 * are touched; a call that names a host is left alone.
 */
const net = require('node:net');

const original = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (args.length === 1 || typeof args[1] === 'function') args.splice(1, 0, '127.0.0.1');
    else if (args[1] === undefined || args[1] === null) args[1] = '127.0.0.1';
  }
  return original.apply(this, args);
};
