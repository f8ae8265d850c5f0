/** Where a server listens: a TCP address, or a Unix domain socket's path. */
export type ServerAddress = TcpAddress | UnixAddress;

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export interface UnixAddress {
  readonly family: 'unix';
  readonly path: string;
}

/**
 * What `net.connect` takes to reach a server at `address`: `{ host, port }`, or `{ path }` for a
 * Unix domain socket.
 */
export function connectTarget(
  address: ServerAddress,
): { readonly host: string; readonly port: number } | { readonly path: string } {
  return address.family === 'unix'
    ? { path: address.path }
    : { host: address.host, port: address.port };
}

/** `127.0.0.1:7000`, `[::1]:7000`, or `unix:/run/app.sock`: how tools print an address. */
export function formatServerAddress(address: ServerAddress): string {
  if (address.family === 'unix') return `unix:${address.path}`;
  return address.family === 'IPv6'
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
