// IP geography from an operator-supplied MaxMind database (GeoLite2-Country or -City, or a commercial
// GeoIP2 file: any .mmdb with country.iso_code) named by SOUK_RISK_GEOIP_FILE and read with the maxmind
// package. No database is bundled: the free ones need a MaxMind licence key to download and are tens of
// megabytes. Without a file, ip_country is absent and rules on it do not fire.
import maxmind, { type CountryResponse, type Reader } from 'maxmind';

/** The country (ISO 3166 alpha-2) of an address, or undefined. */
export type CountryOf = (ip: string) => string | undefined;

export async function openGeoIp(file: string): Promise<CountryOf> {
  const reader: Reader<CountryResponse> = await maxmind.open<CountryResponse>(file, { cache: { max: 10_000 } });
  return (ip) => {
    try {
      return reader.get(ip)?.country?.iso_code ?? reader.get(ip)?.registered_country?.iso_code;
    } catch {
      return undefined;
    }
  };
}
