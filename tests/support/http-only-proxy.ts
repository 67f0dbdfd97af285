import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A reverse proxy that forwards HTTP and refuses WebSocket upgrades, as a proxy left without its
// upgrade configuration does: the admin app works through it, Directus's WebSocket does not.
export interface Proxy {
  url: string;
  close: () => Promise<void>;
}

export async function startHttpOnlyProxy(target: string): Promise<Proxy> {
  const { hostname, port } = new URL(target);
  const server = http.createServer((request, response) => {
    const upstream = http.request({ hostname, port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 501 Not Implemented\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
