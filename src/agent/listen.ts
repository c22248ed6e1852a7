import { isIP } from 'node:net';
import { OffloadError } from '../model/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

/** Parse `ADDR:PORT`, `[V6]:PORT` or `:PORT` (all addresses). */
export function parseListen(spec: string): ListenAddress {
  let host: string;
  let portStr: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(spec);
  if (v6) {
    host = v6[1]!;
    portStr = v6[2]!;
  } else {
    const i = spec.lastIndexOf(':');
    if (i < 0) throw new OffloadError('usage', `--listen ${spec}: expected ADDR:PORT, e.g. 127.0.0.1:9469`);
    host = spec.slice(0, i) || '0.0.0.0';
    portStr = spec.slice(i + 1);
  }
  const port = Number(portStr);
  if (!/^\d+$/.test(portStr) || port < 0 || port > 65535) throw new OffloadError('usage', `--listen ${spec}: bad port`);
  if (host !== 'localhost' && isIP(host) === 0)
    throw new OffloadError('usage', `--listen ${spec}: ${host} is not an IP address`);
  return { host, port, loopback: isLoopback(host) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return m ? m[1]!.startsWith('127.') : false;
}

/** A non-loopback address needs --allow-remote and a token: the API can change a host's offloads. */
export function checkListenAllowed(addr: ListenAddress, allowRemote: boolean, hasToken: boolean): void {
  if (addr.loopback) return;
  if (!allowRemote)
    throw new OffloadError(
      'usage',
      `refusing to listen on non-loopback ${addr.host}: pass --allow-remote (with --token-file)`,
    );
  if (!hasToken)
    throw new OffloadError('usage', `--allow-remote needs --token-file: the API would be open to the network`);
}
