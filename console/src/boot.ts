// The answers public/boot.js fetched before the app started: each is taken once (a later refetch goes to
// the network), and only for the token the app holds now. A failed or missing one makes the caller ask
// the API itself, so errors come back as the SDK's problems as usual.
interface BootAnswer {
  ok: boolean;
  body: unknown;
}

declare global {
  interface Window {
    soukBoot?: { token: string; calls: Record<string, Promise<BootAnswer> | undefined> };
  }
}

/** The early answer for `name` when there is a good one, else `call()`. */
export async function fromBoot<T>(name: string, token: string | undefined, call: () => Promise<T>): Promise<T> {
  const boot = window.soukBoot;
  const pending = boot && boot.token === token ? boot.calls[name] : undefined;
  if (boot) delete boot.calls[name];
  if (pending) {
    const answer = await pending;
    if (answer.ok) return answer.body as T;
  }
  return call();
}
