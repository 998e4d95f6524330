// The snapshot the answering thread reads: the zone image plus the pre-rendered HTTP bodies that
// came with it. Decoded views (axfr, enumerate) are produced lazily, on the first HTTP request
// that needs them, because most refreshes are never looked at through HTTP.
import { ZoneImage } from './image.js';
import type { AxfrRecords, SrvTarget, ZoneSnapshot } from './types.js';
import type { BuiltZone } from './build.js';

export class ImageSnapshot implements ZoneSnapshot {
  readonly image: ZoneImage;
  private axfrCache: AxfrRecords | undefined;
  private enumCache: string | undefined;

  constructor(private readonly zone: BuiltZone, readonly serial: number) {
    this.image = new ZoneImage(zone.image);
  }

  get contentHash(): string { return this.zone.contentHash; }

  addresses(name: string): { A: string[]; AAAA: string[] } { return this.image.addresses(name); }
  services(name: string): SrvTarget[] { return this.image.services(name); }
  axfr(): AxfrRecords {
    return (this.axfrCache ??= JSON.parse(Buffer.from(this.zone.axfr).toString('utf8')) as AxfrRecords);
  }
  enumerationBody(): string {
    return (this.enumCache ??= Buffer.from(this.zone.enumeration).toString('utf8'));
  }
}
