// The Redis side of outbound commands, as docs/contracts/commands.md defines it for tcp-ingestion.
// Change both together.

// Set by the ingestion instance that holds a device's socket; its value is that instance's id.
export const socketKey = (imei: string) => `ingestion:socket:${imei}`;
// One stream per ingestion instance; the instance reads its own.
export const commandStream = (instance: string) => `commands:stream:${instance}`;
// Written together with the stream entry: a second routing attempt finds it and appends nothing.
export const routedMarker = (commandId: string) => `commands:routed:${commandId}`;
export const instanceOfStream = (stream: string) => stream.slice('commands:stream:'.length);

export const MARKER_SECONDS = 7 * 24 * 3600;
export const STREAM_MAX_LENGTH = 10_000;

export const COMMAND_STATUSES = ['queued', 'routed', 'sent', 'acknowledged', 'failed', 'expired'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

// What an ingestion instance may report, and from which states: a delivery report is evidence and
// outranks a routing error or an expiry whose outcome was uncertain; acknowledged is final; a repeated
// report (an HTTP retry) is accepted unchanged.
export const REPORTS: Record<'sent' | 'acknowledged' | 'failed', CommandStatus[]> = {
  sent: ['routed', 'sent', 'failed', 'expired'],
  acknowledged: ['routed', 'sent', 'acknowledged', 'failed', 'expired'],
  failed: ['routed', 'sent', 'failed'],
};
export const REPORT_FIELDS = ['status', 'sent_at', 'acknowledged_at', 'response', 'error'];
