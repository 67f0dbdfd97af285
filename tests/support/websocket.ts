// Real WebSocket clients (Node 22's own) of Directus's two channels: the REST-style one at /websocket
// and GraphQL subscriptions (graphql-transport-ws) at /graphql. Messages queue up; `next` takes the
// next one that matches, waiting at most `timeoutMs` (a bound on a hung server, not a timing check).
export interface Socket {
  send: (message: unknown) => void;
  next: (match?: (message: Record<string, any>) => boolean, timeoutMs?: number) => Promise<Record<string, any>>;
  close: () => void;
}

function open(url: string, protocol?: string): Promise<{ ws: WebSocket; socket: Socket }> {
  const ws = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
  const queue: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  ws.addEventListener('message', (event) => {
    queue.push(JSON.parse(String(event.data)) as Record<string, any>);
    for (const wake of waiters.splice(0)) wake();
  });
  const socket: Socket = {
    send: (message) => ws.send(JSON.stringify(message)),
    next: async (match = () => true, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = queue.findIndex(match);
        if (index >= 0) return queue.splice(index, 1)[0]!;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; queued: ${JSON.stringify(queue)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve({ ws, socket }), { once: true });
    ws.addEventListener('error', () => reject(new Error(`WebSocket ${url} failed to open`)), { once: true });
  });
}

// Directus's REST-style WebSocket, authenticated with an access token (handshake mode).
export async function restSocket(baseUrl: string, token: string): Promise<Socket> {
  const { socket } = await open(`${baseUrl.replace(/^http/, 'ws')}/websocket`);
  socket.send({ type: 'auth', access_token: token });
  const auth = await socket.next((m) => m['type'] === 'auth');
  if (auth['status'] !== 'ok') throw new Error(`WebSocket auth failed: ${JSON.stringify(auth)}`);
  // Directus pings; answer so that the connection stays open.
  return {
    ...socket,
    next: async (match = () => true, timeoutMs) => {
      for (;;) {
        const message = await socket.next((m) => m['type'] === 'ping' || match(m), timeoutMs);
        if (message['type'] !== 'ping' || match(message)) return message;
        socket.send({ type: 'pong' });
      }
    },
  };
}

// GraphQL subscriptions over graphql-transport-ws, authenticated in connection_init.
export async function graphqlSocket(baseUrl: string, token: string): Promise<Socket> {
  const { socket } = await open(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  socket.send({ type: 'connection_init', payload: { access_token: token } });
  await socket.next((m) => m['type'] === 'connection_ack');
  return socket;
}
