/**
 * Preloaded into the egress scenario's daemons (node --import): names under .battery.test
 * resolve to the addresses below, as a hostile DNS server (or a rebinding attack) would answer.
 * Every other name goes to the system resolver. The daemon's code is unchanged: its egress guard
 * calls dns.promises.lookup at connect time, and this is what that lookup answers.
 */
import dns from 'node:dns';
import net from 'node:net';

const HOSTS = {
  'metadata.battery.test': ['169.254.169.254'],
  'mapped.battery.test': ['::ffff:169.254.169.254'],
  'linklocal6.battery.test': ['fe80::1'],
  'zero.battery.test': ['0.0.0.0'],
  'alibaba.battery.test': ['100.100.100.200'],
  'rebound.battery.test': ['127.0.0.1'],
  'mixed.battery.test': ['169.254.169.254', '127.0.0.1'],
};

function answer(hostname) {
  return HOSTS[String(hostname).toLowerCase().replace(/\.$/, '')];
}

const lookup = dns.promises.lookup;
dns.promises.lookup = async function (hostname, options) {
  const addresses = answer(hostname);
  if (addresses === undefined) return lookup.call(this, hostname, options);
  const all = addresses.map((address) => ({ address, family: net.isIP(address) }));
  return typeof options === 'object' && options?.all ? all : all[0];
};

const lookupCallback = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  const addresses = answer(hostname);
  if (addresses === undefined) return lookupCallback.call(this, hostname, options, callback);
  const done = typeof options === 'function' ? options : callback;
  const all = addresses.map((address) => ({ address, family: net.isIP(address) }));
  if (typeof options === 'object' && options?.all) process.nextTick(done, null, all);
  else process.nextTick(done, null, all[0].address, all[0].family);
};
