// The snapshot the answering thread reads: the zone image, plus the compact records (kept as
// plain buffers, off the JS heap) from which a worker renders the bulk HTTP bodies on request —
// most refreshes are never looked at through /v1/axfr or /v1/enumerate.
import { ZoneImage } from './image.js';
import type { AxfrHead, SrvTarget, ZoneSnapshot } from './types.js';
import type { BuiltZone } from './build.js';
import { transferList, type DraftTransfer } from '../records/draft.js';
import type { ZoneChangeSet } from './changes.js';

export interface BodyRenderer {
  render(draft: DraftTransfer, kind: 'axfr' | 'enumerate', head?: AxfrHead): Promise<Uint8Array>;
  /** Free these buffers now, preferably off the answering thread. */
  discard(buffers: ArrayBuffer[]): void;
}

export class ImageSnapshot implements ZoneSnapshot {
  readonly image: ZoneImage;

  constructor(
    private readonly zone: BuiltZone,
    /** Arrives just after the zone (see ZoneBuilder.refresh). */
    private readonly draft: Promise<DraftTransfer>,
    readonly serial: number,
    private readonly renderer: BodyRenderer,
    /** What changed since the previous version (zone/changes.ts); null for the first, or when not computed. */
    readonly changes: ZoneChangeSet | null = null,
    /** Pins on the buffers, shared by a snapshot and its reissues (they hold the same buffers). */
    private readonly lease: { pins: number; released: boolean } = { pins: 0, released: false },
  ) {
    this.image = new ZoneImage(zone.image);
  }

  /**
   * The same content under another serial (a deferred serial bump, zone/serial.ts). It shares this
   * snapshot's buffers: release the new one only, never this one.
   */
  reissue(serial: number, changes: ZoneChangeSet): ImageSnapshot {
    return new ImageSnapshot(this.zone, this.draft, serial, this.renderer, changes, this.lease);
  }

  get contentHash(): string { return this.zone.contentHash; }

  /**
   * A snapshot read from the last-good file (zone/lastgood.ts): it answers DNS and /v1/hosts,
   * /v1/services from its image; the bulk bodies need the records, which come with the first
   * load from a master.
   */
  static fromFile(image: ArrayBuffer, contentHash: string, serial: number, renderer: BodyRenderer): ImageSnapshot {
    const zone: BuiltZone = {
      image, contentHash, warnings: [], leader: '',
      counts: { frameworks: 0, slaves: 0, tasks: 0, names: 0, records: 0 }, byType: { A: 0, AAAA: 0, SRV: 0 },
    };
    const draft = Promise.reject(new Error('serving the snapshot file: /v1/axfr and /v1/enumerate return with the first load from a master'));
    draft.catch(() => {});
    return new ImageSnapshot(zone, draft, serial, renderer);
  }

  addresses(name: string): { A: string[]; AAAA: string[] } { return this.image.addresses(name); }
  services(name: string): SrvTarget[] { return this.image.services(name); }
  /**
   * Free this snapshot's buffers now (the snapshot must not be used afterwards). Why: the old
   * zone of a 50k-task state is ~130 MB outside the JS heap, and an idle answering thread may
   * not run a garbage collection for minutes; the renderer (the build worker) frees them at once.
   * A body request still waiting for the records registered on `draft` before this did, so it
   * posts its copy of them before they are discarded.
   */
  release(): void {
    this.lease.released = true;
    if (this.lease.pins === 0) this.free();
  }

  /**
   * Keep the image's buffers alive while a reader outside the synchronous answering path (a zone
   * transfer streaming for seconds) still uses them: release() then frees them only when the last
   * pin is dropped. Returns the unpin function (idempotent).
   */
  pin(): () => void {
    const lease = this.lease;
    lease.pins++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--lease.pins === 0 && lease.released) this.free();
    };
  }

  private free(): void {
    this.renderer.discard([this.zone.image]);
    this.draft.then((d) => this.renderer.discard(transferList(d)), () => {});
  }

  async axfrBody(head: AxfrHead): Promise<Uint8Array> { return this.renderer.render(await this.draft, 'axfr', head); }
  async enumerationBody(): Promise<Uint8Array> { return this.renderer.render(await this.draft, 'enumerate'); }
}
