// User-agent classes: enough to tell a person's browser from automation without a parser dependency
// (ua-parser-js v2 is AGPL). Only the class matters to a policy; it is read from well-known markers.
export const USER_AGENT_CLASSES = ['browser', 'headless', 'script', 'bot', 'empty', 'other'] as const;
export type UserAgentClass = (typeof USER_AGENT_CLASSES)[number];

const HEADLESS = /headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|slimerjs|electron\/.*headless/i;
const SCRIPT =
  /^(curl|wget|python-requests|python-urllib|python-httpx|aiohttp|httpx|go-http-client|java\/|okhttp|axios|node-fetch|undici|got |libwww-perl|postmanruntime|apache-httpclient|scrapy|insomnia|httpie|ruby|php|guzzlehttp|dart|deno|bun\/|node)/i;
const BOT = /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|preview/i;
const BROWSER = /^mozilla\/5\.0 \(.+\) (applewebkit|gecko)/i;

export function userAgentClass(ua: string | undefined): UserAgentClass {
  if (ua === undefined || ua.trim() === '') return 'empty';
  if (HEADLESS.test(ua)) return 'headless';
  if (SCRIPT.test(ua)) return 'script';
  if (BOT.test(ua)) return 'bot';
  if (BROWSER.test(ua)) return 'browser';
  return 'other';
}
