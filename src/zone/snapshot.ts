// The snapshot the answering thread reads: the zone image, plus a way to ask the build worker for
// the bulk HTTP bodies, which are rendered only when requested because most refreshes are never
// looked at through /v1/axfr or /v1/enumerate.
import { ZoneImage } from './image.js';
import type { AxfrHead, SrvTarget, ZoneSnapshot } from './types.js';
import type { BuiltZone } from './build.js';

export interface BodyRenderer {
  render(kind: 'axfr', head: AxfrHead): Promise<Uint8Array>;
  render(kind: 'enumerate'): Promise<Uint8Array>;
}

export class ImageSnapshot implements ZoneSnapshot {
  readonly image: ZoneImage;

  constructor(private readonly zone: BuiltZone, readonly serial: number, private readonly renderer: BodyRenderer) {
    this.image = new ZoneImage(zone.image);
  }

  get contentHash(): string { return this.zone.contentHash; }

  addresses(name: string): { A: string[]; AAAA: string[] } { return this.image.addresses(name); }
  services(name: string): SrvTarget[] { return this.image.services(name); }
  axfrBody(head: AxfrHead): Promise<Uint8Array> { return this.renderer.render('axfr', head); }
  enumerationBody(): Promise<Uint8Array> { return this.renderer.render('enumerate'); }
}
