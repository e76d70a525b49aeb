// `souk login` and `souk logout`: keep one admin session per server in the credentials file, so every
// --url command reuses it instead of logging in again (the server's login limit answers 429 to a CLI
// that logs in on every call).
import { createInterface } from 'node:readline';
import { defaultServerUrl, loginWithPassword, option, serverUrl } from './api-client.ts';
import { credentialsFile, forgetSession, savedSession, saveSession } from './credentials.ts';

export const loginUsage = (): string => `Usage:
  souk login [--url URL] [--email EMAIL]   log in once and save the session (password from
                                           SOUK_ADMIN_PASSWORD, else asked for)
  souk logout [--url URL]                  end the saved session on the server and delete it
The server is --url (default ${defaultServerUrl()}); sessions are kept in ${credentialsFile()} (mode 0600).`;

/** Reads one line from the terminal without echoing it (or from a pipe). */
async function ask(question: string, hidden: boolean): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  if (hidden && process.stdin.isTTY) {
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    let prompted = false;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!prompted) write(s);
      prompted = true;
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    if (hidden && process.stdin.isTTY) process.stderr.write('\n');
  }
}

export async function loginCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args[0] === 'help') {
    console.log(loginUsage());
    return 0;
  }
  const url = serverUrl(args);
  console.error(`souk: server ${url}`);
  const email = option(args, '--email') ?? process.env.SOUK_ADMIN_EMAIL ?? (await ask('Email: ', false)).trim();
  const password = process.env.SOUK_ADMIN_PASSWORD ?? (await ask('Password: ', true));
  if (!email || !password) {
    console.error('An email and a password are needed to log in.');
    return 2;
  }
  const { token, expiresAt } = await loginWithPassword(url, email, password);
  saveSession(url, { token, email, expiresAt });
  console.log(`Logged in to ${url} as ${email} until ${expiresAt}; session saved to ${credentialsFile()}.`);
  return 0;
}

export async function logoutCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args[0] === 'help') {
    console.log(loginUsage());
    return 0;
  }
  const url = serverUrl(args);
  console.error(`souk: server ${url}`);
  const session = savedSession(url);
  if (!session) {
    forgetSession(url); // an expired entry, if any
    console.log(`No saved session for ${url}.`);
    return 0;
  }
  const res = await fetch(`${url}/admin/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${session.token}` } }).catch((error: Error) => error);
  forgetSession(url);
  if (res instanceof Error || !res.ok) {
    // Deleted here either way; a session the server could not revoke expires on its own.
    console.log(`Session deleted from ${credentialsFile()}; the server did not confirm the logout (${res instanceof Error ? res.message : res.status}).`);
    return 0;
  }
  console.log(`Logged out of ${url}; session deleted from ${credentialsFile()}.`);
  return 0;
}
