// The snapshot the answering thread reads: the zone image, plus the compact records (kept as
// plain buffers, off the JS heap) from which a worker renders the bulk HTTP bodies on request —
// most refreshes are never looked at through /v1/axfr or /v1/enumerate. A body is rendered once
// per snapshot and shared by every request for it (requests arriving during the render wait for
// that render): at 50k tasks a body is 100+ MB, and twenty renders at once once took 1.5 GiB.
import { ZoneImage } from './image.js';
import type { AxfrHead, SrvTarget, ZoneSnapshot } from './types.js';
import type { BuiltZone } from './build.js';
import { transferList, type DraftTransfer } from '../records/draft.js';
import type { ZoneChangeSet } from './changes.js';

/**
 * Records fetched only when first awaited: a patched stream version's records are generated on
 * request (zone/publish.ts), and most versions are never asked for a body.
 */
export class LazyDraft implements PromiseLike<DraftTransfer> {
  private p: Promise<DraftTransfer> | null = null;
  constructor(private readonly load: () => Promise<DraftTransfer>) {}
  get started(): boolean { return this.p !== null; }
  then<A = DraftTransfer, B = never>(ok?: ((d: DraftTransfer) => A | PromiseLike<A>) | null, fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return (this.p ??= this.load()).then(ok, fail);
  }
}

export interface BodyRenderer {
  render(draft: DraftTransfer, kind: 'axfr' | 'enumerate', head?: AxfrHead): Promise<Uint8Array>;
  /** Free these buffers now, preferably off the answering thread. */
  discard(buffers: ArrayBuffer[]): void;
  /** A shared image no reader on this thread uses any more: written again, or let go (zone/spares.ts). */
  retire?(image: SharedArrayBuffer): void;
}

/**
 * How long a rendered body is kept after the last request for it began. Long enough that a
 * client polling the zone, or a burst of them, shares one render; short enough that a body
 * nobody asks for again (100+ MB at 50k tasks) does not stay for the whole zone version.
 */
export const BODY_KEEP_MS = 60_000;

/**
 * The bulk bodies of a snapshot read from the file: the file holds the zone image, which answers
 * DNS (and AXFR over DNS), but not the records with their original spelling and task ids that
 * /v1/axfr and /v1/enumerate are rendered from.
 */
export const FROM_FILE_NO_BULK = 'serving the snapshot file: /v1/axfr and /v1/enumerate return with the first load from a master';

interface SharedBody { body: Promise<Uint8Array>; timer: NodeJS.Timeout }

/** What a snapshot and its reissues share: the buffers' pins and the bodies rendered from them. */
interface Lease { pins: number; released: boolean; bodies: Map<string, SharedBody> }

export class ImageSnapshot implements ZoneSnapshot {
  readonly image: ZoneImage;

  constructor(
    private readonly zone: BuiltZone,
    /** Arrives just after the zone (see ZoneBuilder.refresh). */
    private readonly draft: PromiseLike<DraftTransfer>,
    readonly serial: number,
    private readonly renderer: BodyRenderer,
    /** What changed since the previous version (zone/changes.ts); null for the first, or when not computed. */
    readonly changes: ZoneChangeSet | null = null,
    /** Pins on the buffers and the body cache, shared by a snapshot and its reissues (same buffers). */
    private readonly lease: Lease = { pins: 0, released: false, bodies: new Map() },
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
  static fromFile(image: ArrayBuffer | SharedArrayBuffer, contentHash: string, serial: number, renderer: BodyRenderer): ImageSnapshot {
    const zone: BuiltZone = {
      image, contentHash, warnings: [], leader: '',
      counts: { frameworks: 0, slaves: 0, tasks: 0, names: 0, records: 0 }, byType: { A: 0, AAAA: 0, SRV: 0 },
    };
    const draft = Promise.reject(new Error(FROM_FILE_NO_BULK));
    draft.catch(() => {});
    const s = new ImageSnapshot(zone, draft, serial, renderer);
    s.bulkUnavailable = FROM_FILE_NO_BULK;
    return s;
  }

  /** Set on a snapshot read from the file (fromFile): the HTTP API answers 503 for the bulk bodies. */
  bulkUnavailable: string | undefined = undefined;

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
    // The bodies go with the last pin, with the buffers (a transfer may still be reading them).
    for (const b of this.lease.bodies.values()) clearTimeout(b.timer);
    this.lease.bodies.clear();
    // A shared image is not freed by a transfer: it goes back to the build worker to be written
    // again, or when every thread that saw it has collected it (zone/spares.ts).
    if (this.zone.image instanceof ArrayBuffer) this.renderer.discard([this.zone.image]);
    else this.renderer.retire?.(this.zone.image);
    if (!(this.draft instanceof LazyDraft) || this.draft.started) this.draft.then((d) => this.renderer.discard(transferList(d)), () => {});
  }

  axfrBody(head: AxfrHead): Promise<Uint8Array> {
    return this.shared(`axfr ${JSON.stringify(head)}`, async () => this.renderer.render(await this.draft, 'axfr', head));
  }
  enumerationBody(): Promise<Uint8Array> {
    return this.shared('enumerate', async () => this.renderer.render(await this.draft, 'enumerate'));
  }

  /** The body under `key`: the one rendered (or being rendered) for this snapshot, else a new render. */
  private shared(key: string, render: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const bodies = this.lease.bodies;
    const hit = bodies.get(key);
    if (hit) { hit.timer.refresh(); return hit.body; }
    const body = render();
    const timer = setTimeout(() => bodies.delete(key), BODY_KEEP_MS).unref();
    bodies.set(key, { body, timer });
    body.catch(() => { clearTimeout(timer); if (bodies.get(key)?.body === body) bodies.delete(key); });
    return body;
  }
}
