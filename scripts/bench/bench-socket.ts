// A REST-style WebSocket client of Directus for the API benchmark: authenticated with an access token,
// answering Directus's pings; `ask` sends and waits for the answer, `next` waits for a message.
export interface BenchSocket {
  send: (message: unknown) => void;
  ask: (message: unknown, done: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
  next: (done: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
  close: () => void;
}

export async function benchSocket(baseUrl: string, token: string): Promise<BenchSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/websocket`);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let waiting: { done: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void } | undefined;
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as Record<string, unknown>;
    if (message['type'] === 'ping') return ws.send(JSON.stringify({ type: 'pong' }));
    if (waiting?.done(message)) waiting.resolve(message);
  });
  const next = (done: (m: Record<string, unknown>) => boolean) => new Promise<Record<string, unknown>>((resolve) => (waiting = { done, resolve }));
  const ask = (message: unknown, done: (m: Record<string, unknown>) => boolean) => {
    const answer = next(done);
    ws.send(JSON.stringify(message));
    return answer;
  };
  const auth = await ask({ type: 'auth', access_token: token }, (m) => m['type'] === 'auth');
  if (auth['status'] !== 'ok') throw new Error(`WebSocket auth: ${JSON.stringify(auth)}`);
  return { send: (message) => ws.send(JSON.stringify(message)), ask, next, close: () => ws.close() };
}
