/** The grid of participant tiles: one per peer, with name, video and (hidden) audio element. */

export class TileGrid {
  private readonly tiles = new Map<string, HTMLElement>();

  constructor(private readonly grid: HTMLElement) {}

  /** The local preview tile (muted, mirrored). */
  addSelf(name: string, video?: MediaStreamTrack): void {
    const tile = this.makeTile(`${name} (you)`);
    tile.classList.add('self');
    tile.dataset.selfName = name;
    if (video) this.attach(tile, video);
    this.grid.prepend(tile);
  }

  addPeer(peerId: string, name: string): void {
    if (this.tiles.has(peerId)) return;
    const tile = this.makeTile(name);
    tile.dataset.peerId = peerId;
    tile.dataset.peerName = name;
    this.tiles.set(peerId, tile);
    this.grid.append(tile);
    this.updateLayout();
  }

  removePeer(peerId: string): void {
    this.tiles.get(peerId)?.remove();
    this.tiles.delete(peerId);
    this.updateLayout();
  }

  attachTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId);
    if (tile) this.attach(tile, track);
  }

  detachTrack(peerId: string, track: MediaStreamTrack): void {
    const tile = this.tiles.get(peerId);
    if (!tile) return;
    const el = tile.querySelector<HTMLMediaElement>(track.kind === 'video' ? 'video' : 'audio');
    const stream = el?.srcObject as MediaStream | null;
    stream?.removeTrack(track);
    if (track.kind === 'video' && stream?.getVideoTracks().length === 0) tile.classList.add('no-video');
  }

  setActiveSpeaker(peerId: string): void {
    for (const [id, tile] of this.tiles) tile.classList.toggle('speaking', id === peerId);
  }

  clear(): void {
    for (const id of [...this.tiles.keys()]) this.removePeer(id);
    this.grid.querySelector('.self')?.remove();
  }

  private makeTile(label: string): HTMLElement {
    const tile = document.createElement('figure');
    tile.className = 'tile no-video';
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // audio plays through the <audio> element
    const audio = document.createElement('audio');
    audio.autoplay = true;
    const avatar = document.createElement('div');
    avatar.className = 'avatar';
    avatar.textContent = label.trim().charAt(0).toUpperCase() || '?';
    const caption = document.createElement('figcaption');
    caption.textContent = label;
    tile.append(video, avatar, audio, caption);
    return tile;
  }

  private attach(tile: HTMLElement, track: MediaStreamTrack): void {
    const el = tile.querySelector<HTMLMediaElement>(track.kind === 'video' ? 'video' : 'audio')!;
    const stream = (el.srcObject as MediaStream | null) ?? new MediaStream();
    stream.getTracks().filter((t) => t.kind === track.kind).forEach((t) => stream.removeTrack(t));
    stream.addTrack(track);
    el.srcObject = stream;
    el.play().catch(() => {
      /* autoplay may wait for a gesture; the element stays ready */
    });
    if (track.kind === 'video') tile.classList.remove('no-video');
  }

  private updateLayout(): void {
    const count = this.tiles.size + 1;
    this.grid.style.setProperty('--columns', String(Math.ceil(Math.sqrt(count))));
  }
}
