import { parseArgs } from 'node:util';
import { loadConfigFile } from '../../config/index.ts';
import { resolveAdminToken } from '../admin-token.ts';
import type { DialOutcome } from '../outbound-call.ts';
import { AdminClient } from './admin-client.ts';
import { H323_ROOM_USAGE, runH323Room } from './h323-room.ts';

const USAGE = `usage:
  roomgate dial --meeting ROOM --to sip:user@host [--trunk NAME]
  roomgate dial --meeting ROOM --to NAME            (a terminal registered with the gateway)
  roomgate dial --meeting ROOM --to h323:ALIAS@HOST[:PORT]   (an H.323 room, direct; h323.dialOut.permitted)
  roomgate dial --meeting ROOM --to h323:ALIAS      (an H.323 room through the registered gatekeeper)
  roomgate hangup CALL_ID
  roomgate dtmf CALL_ID DIGITS                      (play keys, e.g. 1234#, to the call's room)
  roomgate calls
  roomgate registrations
  roomgate trunks                                   (keepalive and outbound registration state)
  roomgate gatekeepers                              (H.323 RAS registration state per gatekeeper)
  roomgate h323-room --gateway HOST[:PORT] --meeting NUMBER …   (an H.323 room with media from files; --help)
options (all commands):
  -c, --config FILE   gateway config to read admin bind/port/token from (default config/default.yaml)
  --admin URL         admin API base URL (default http://<admin.bind>:<admin.port>)
  --token TOKEN       admin token (default admin.token or the admin.tokenFile; env ROOMGATE_ADMIN_TOKEN)
exit status: 0 on success, 1 when the call or request failed, 2 on a usage or config error`;

class UsageError extends Error {}

/** `roomgate` operator commands over the local admin API. Returns the exit status. */
export async function runCli(argv: string[], out: (line: string) => void): Promise<number> {
  if (argv[0] === 'h323-room') {
    // a room endpoint, not an admin command: no admin API involved
    if (argv.includes('--help') || argv.includes('-h')) throw new UsageError(H323_ROOM_USAGE);
    return runH323Room(argv.slice(1), out);
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c', default: 'config/default.yaml' },
      admin: { type: 'string' },
      token: { type: 'string' },
      meeting: { type: 'string' },
      to: { type: 'string' },
      trunk: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) throw new UsageError(USAGE);
  const client = adminClient(values);
  switch (command) {
    case 'dial':
      return dial(client, values, out);
    case 'hangup': {
      if (args.length !== 1) throw new UsageError(USAGE);
      const res = await client.request('DELETE', `/api/calls/${encodeURIComponent(args[0]!)}`);
      out(res.status === 204 ? `hung up ${args[0]}` : `hangup failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.status === 204 ? 0 : 1;
    }
    case 'dtmf': {
      if (args.length !== 2) throw new UsageError(USAGE);
      const res = await client.request('POST', `/api/calls/${encodeURIComponent(args[0]!)}/dtmf`, { digits: args[1] });
      out(res.status === 202 ? `sent ${args[1]} to ${args[0]}` : `dtmf failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.status === 202 ? 0 : 1;
    }
    case 'calls':
    case 'registrations':
    case 'gatekeepers':
    case 'trunks': {
      const res = await client.request('GET', `/api/${command}`);
      out(JSON.stringify(res.body, null, 2));
      return res.status === 200 ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

function adminClient(values: { config?: string; admin?: string; token?: string }): AdminClient {
  const needConfig = !values.admin || !(values.token ?? process.env.ROOMGATE_ADMIN_TOKEN);
  const config = needConfig ? loadConfigFile(values.config!) : undefined;
  const host = config?.admin.bind === '0.0.0.0' ? '127.0.0.1' : config?.admin.bind;
  const base = values.admin ?? `http://${host?.includes(':') ? `[${host}]` : host}:${config!.admin.port}`;
  const token = values.token ?? process.env.ROOMGATE_ADMIN_TOKEN ?? resolveAdminToken(config!.admin, values.config!, false);
  return new AdminClient(base, token);
}

async function dial(client: AdminClient, values: { meeting?: string; to?: string; trunk?: string }, out: (line: string) => void): Promise<number> {
  if (!values.meeting || !values.to) throw new UsageError(`dial needs --meeting and --to\n${USAGE}`);
  const res = await client.request('POST', '/api/calls', { meeting: values.meeting, to: values.to, ...(values.trunk ? { trunk: values.trunk } : {}) });
  const outcome = res.body as Partial<DialOutcome> | undefined;
  if (!outcome || typeof outcome !== 'object' || !('status' in outcome)) {
    out(`dial failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return 1;
  }
  for (const a of outcome.attempts ?? []) out(`  attempt via ${a.contact !== undefined ? `registered contact ${a.contact}` : a.trunk}: ${a.status} ${a.reason}`);
  if (outcome.status === 'answered' && outcome.contact !== undefined) {
    out(`answered at registered contact ${outcome.contact}; call ${outcome.callId}`);
    return 0;
  }
  if (outcome.status === 'answered' && outcome.protocol === 'h323') {
    out(`answered (H.323); call ${outcome.callId}`);
    return 0;
  }
  if (outcome.status === 'answered') {
    out(`answered via trunk ${outcome.trunk}; call ${outcome.callId}`);
    return 0;
  }
  if (outcome.protocol === 'h323') {
    out(`failed (H.323): ${outcome.reason}${outcome.cause !== undefined ? ` (cause ${outcome.cause})` : ''}`);
    return 1;
  }
  out(`failed: ${outcome.sipStatus} ${outcome.reason}`);
  return 1;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runCli(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`roomgate: ${err.message}\n`);
      process.exit(err instanceof UsageError || err.name === 'ConfigError' ? 2 : 1);
    },
  );
}
