// User agents, read with ua-parser-js v1 (MIT; v2 is AGPL, so it stays on 1.x) for the browser, OS and
// device, plus markers the parser does not classify: headless and automation drivers, HTTP libraries
// and command-line clients, crawlers. A parse costs ~0.1 ms, so results are kept per user-agent string
// (a shop sees few distinct ones; a flood of made-up ones only fills the bounded cache, which keeps the
// recently used ones: recent-cache.ts).
import UAParser from 'ua-parser-js';
import { RecentCache } from './recent-cache.ts';

export const USER_AGENT_CLASSES = ['browser', 'headless', 'script', 'bot', 'empty', 'other'] as const;
export type UserAgentClass = (typeof USER_AGENT_CLASSES)[number];

export interface UserAgentInfo {
  class: UserAgentClass;
  /** The parser's browser name ("Chrome", "Mobile Safari", "Chrome Headless"), when it knows one. */
  browser: string | undefined;
  browserMajor: number | undefined;
  os: string | undefined;
  /** mobile, tablet, smarttv, wearable, console or embedded as the parser says; desktop for a browser it does not place. */
  device: string | undefined;
}

const HEADLESS = /headless|phantomjs|puppeteer|playwright|selenium|webdriver|slimerjs|electron\/.*headless|lighthouse/i;
const SCRIPT =
  /^(curl|wget|python-requests|python-urllib|python-httpx|aiohttp|httpx|go-http-client|java\/|okhttp|axios|node-fetch|undici|got |libwww-perl|postmanruntime|apache-httpclient|scrapy|insomnia|httpie|ruby|php|guzzlehttp|dart|deno|bun\/|node)/i;
const BOT = /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|preview/i;

const EMPTY: UserAgentInfo = Object.freeze({ class: 'empty', browser: undefined, browserMajor: undefined, os: undefined, device: undefined });
const cache = new RecentCache<UserAgentInfo>(5_000);

function parse(ua: string): UserAgentInfo {
  const result = new UAParser(ua).getResult();
  const browser = result.browser.name;
  const major = result.browser.major === undefined ? undefined : Number.parseInt(result.browser.major, 10);
  const kind: UserAgentClass = HEADLESS.test(ua)
    ? 'headless'
    : SCRIPT.test(ua)
      ? 'script'
      : BOT.test(ua)
        ? 'bot'
        : browser !== undefined && result.engine.name !== undefined
          ? 'browser'
          : 'other';
  return {
    class: kind,
    browser,
    browserMajor: major !== undefined && Number.isFinite(major) ? major : undefined,
    os: result.os.name,
    device: result.device.type ?? (kind === 'browser' || kind === 'headless' ? 'desktop' : undefined),
  };
}

export function userAgentInfo(ua: string | undefined): UserAgentInfo {
  if (ua === undefined || ua.trim() === '') return EMPTY;
  return cache.get(ua, (key) => parse(key.slice(0, 1000)));
}

export function userAgentClass(ua: string | undefined): UserAgentClass {
  return userAgentInfo(ua).class;
}
