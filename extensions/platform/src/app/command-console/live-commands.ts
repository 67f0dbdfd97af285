import { onUnmounted, ref } from 'vue';
import type { Api } from '../shared/memberships.ts';

// The latest commands the person may read, kept current. Through Directus's WebSocket when the server
// has it (WEBSOCKETS_ENABLED): a subscription to `commands`, which the tenant scope narrows like any
// read, and which ingestion's reports reach because they go through Directus's API. The admin app
// keeps its own socket to itself, so the console opens one; the browser sends the app's session cookie
// with it, which is how Directus authenticates the upgrade. When the server has no WebSocket, or while
// the socket is down (a proxy without upgrades, an expired session being renewed), it reads the list
// every few seconds instead, and says which it is doing.
export interface CommandRow {
  id: string;
  codec: string;
  command: string;
  status: string;
  requested_at: string;
  routed_to: string | null;
  sent_at: string | null;
  acknowledged_at: string | null;
  response: string | null;
  error: string | null;
  device_id: { imei: string } | null;
  organization_id: { name: string } | null;
}

export type LiveMode = 'connecting' | 'live' | 'polling';

const FIELDS = ['id', 'codec', 'command', 'status', 'requested_at', 'routed_to', 'sent_at', 'acknowledged_at', 'response', 'error', 'device_id.imei', 'organization_id.name'];
const LIMIT = 100;
const POLL_MS = 5_000;
const RECONNECT_MS = 10_000;
// The tenant scope requires a uid on a person's subscription to a business collection.
const UID = 'command-console';

export function useLiveCommands(api: Api, socketUrl: string | null) {
  const rows = ref<CommandRow[]>([]);
  const mode = ref<LiveMode>(socketUrl ? 'connecting' : 'polling');
  const problem = ref<string | null>(null);
  let socket: WebSocket | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function read() {
    const { data } = await api.get('/items/commands', { params: { fields: FIELDS.join(','), sort: '-requested_at', limit: LIMIT } });
    rows.value = data.data as CommandRow[];
  }

  function poll() {
    if (poller) return;
    mode.value = 'polling';
    const tick = () => read().then(() => (problem.value = null), (err: Error) => (problem.value = err.message));
    tick();
    poller = setInterval(tick, POLL_MS);
  }

  function stopPolling() {
    clearInterval(poller);
    poller = undefined;
  }

  function upsert(changed: CommandRow[]) {
    const byId = new Map(rows.value.map((row) => [row.id, row]));
    for (const row of changed) byId.set(row.id, row);
    rows.value = [...byId.values()].sort((a, b) => b.requested_at.localeCompare(a.requested_at)).slice(0, LIMIT);
  }

  function onMessage(message: Record<string, any>) {
    if (message['type'] === 'ping') {
      socket?.send(JSON.stringify({ type: 'pong' }));
      return;
    }
    if (message['status'] === 'error') {
      // TOKEN_EXPIRED included: a new connection carries the session cookie the app has renewed.
      problem.value = message['error']?.message ?? 'the WebSocket refused';
      socket?.close();
      return;
    }
    if (message['type'] !== 'subscription' || message['uid'] !== UID) return;
    const data = message['data'] as unknown[];
    if (message['event'] === 'init') {
      rows.value = data as CommandRow[];
      stopPolling();
      mode.value = 'live';
      problem.value = null;
    } else if (message['event'] === 'delete') {
      const gone = new Set(data.map(String));
      rows.value = rows.value.filter((row) => !gone.has(row.id));
    } else {
      upsert(data as CommandRow[]);
    }
  }

  function connect(url: string) {
    socket = new WebSocket(url);
    socket.addEventListener('open', () =>
      socket?.send(JSON.stringify({ type: 'subscribe', collection: 'commands', uid: UID, query: { fields: FIELDS, sort: ['-requested_at'], limit: LIMIT } })),
    );
    socket.addEventListener('message', (event) => onMessage(JSON.parse(String(event.data)) as Record<string, any>));
    socket.addEventListener('close', () => {
      if (stopped) return;
      poll();
      reconnect = setTimeout(() => connect(url), RECONNECT_MS);
    });
  }

  if (socketUrl) connect(socketUrl);
  else poll();

  onUnmounted(() => {
    stopped = true;
    stopPolling();
    clearTimeout(reconnect);
    socket?.close();
  });

  // After a send: the subscription brings the new row by itself; a poll should not wait for its tick.
  const refresh = () => (mode.value === 'live' ? Promise.resolve() : read());

  return { rows, mode, problem, refresh };
}
