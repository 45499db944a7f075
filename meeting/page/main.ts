import { openLocalMedia } from './local-media.ts';
import { MeetingClient, type DtmfNotice } from './meeting-client.ts';
import { installTestHooks } from './test-hooks.ts';
import { TileGrid } from './tiles.ts';

/**
 * The meeting page: `/?room=<id>&name=<display name>` joins at once; without them a small form
 * asks. Test flags: `&tone=<Hz>` sends a sine tone instead of the microphone, `&audio=0` no
 * microphone, `&video=0` no camera, `&simulcast=1` camera as three simulcast layers (PROTOCOL.md).
 */
const params = new URLSearchParams(location.search);
const room = params.get('room')?.trim();
const name = params.get('name')?.trim();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $<HTMLElement>('status');

if (!room || !name) showJoinForm(room, name);
else void start(room, name);

function showJoinForm(room?: string, name?: string): void {
  $<HTMLFormElement>('join-form').hidden = false;
  $<HTMLElement>('meeting').hidden = true;
  $<HTMLElement>('leave').hidden = true;
  if (room) $<HTMLInputElement>('room-input').value = room;
  if (name) $<HTMLInputElement>('name-input').value = name;
}

async function start(roomId: string, displayName: string): Promise<void> {
  document.title = `${roomId} · roomgate meeting`;
  $<HTMLElement>('room-title').textContent = roomId;
  const tiles = new TileGrid($<HTMLElement>('tiles'));
  const dtmfEvents: DtmfNotice[] = [];
  const noticeEl = $<HTMLElement>('notice');
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  const client = new MeetingClient(tiles, {
    dtmf: (event) => {
      dtmfEvents.push(event);
      // a short notice: who pressed which key (hidden again after 3 s)
      noticeEl.textContent = `${event.displayName} pressed ${event.digit}`;
      noticeEl.hidden = false;
      clearTimeout(noticeTimer);
      noticeTimer = setTimeout(() => (noticeEl.hidden = true), 3000);
    },
    status: (text) => (statusEl.textContent = text),
    ended: (reason) => {
      statusEl.textContent = reason;
      document.body.classList.add('ended');
      tiles.clear();
    },
  });
  let micTrack: MediaStreamTrack | undefined;
  const ready = (async () => {
    const tone = params.get('tone');
    const simulcast = params.get('simulcast') === '1';
    const media = await openLocalMedia({
      ...(tone ? { toneHz: Number(tone) } : {}),
      audio: params.get('audio') !== '0',
      video: params.get('video') !== '0',
      ...(simulcast ? { videoSize: { width: 1280, height: 720 } } : {}),
    });
    micTrack = media.audio;
    tiles.addSelf(displayName, media.video);
    statusEl.textContent = 'Joining…';
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    await client.join(wsUrl, roomId, displayName, media, { simulcast });
    statusEl.textContent = '';
    window.addEventListener('pagehide', () => {
      client.leave();
      media.stop();
    });
  })();
  installTestHooks(client, ready, statusEl, dtmfEvents, () => micTrack);
  $<HTMLButtonElement>('leave').addEventListener('click', () => {
    client.leave();
    location.href = `/?room=${encodeURIComponent(roomId)}`;
  });
  ready.catch((err: Error) => {
    statusEl.textContent = `Could not join: ${err.message}`;
    console.error(err);
  });
}
