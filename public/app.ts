/**
 * The demo page: the browser client in cookie transport. The page never sees a token: the service
 * keeps them in httpOnly cookies, and nothing is written to localStorage or sessionStorage.
 */
import {
  ApiError,
  createSessionClient,
  ReauthenticationRequiredError,
  ServiceUnavailableError,
  SessionEndedError,
  type CurrentUser,
  type Session,
  type SessionEndedCode,
  type User,
} from '../client/session-client.js';

type PageState = 'loading' | 'signed-out' | 'signed-in' | 'ended';

const session = createSessionClient({ baseUrl: location.origin, transport: 'cookie' });

/** Set while this tab signs out, so that its own logout reads "Signed out", not "Session ended". */
let signingOut = false;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

const statusBox = element('status');
const messageBox = element('message');
const signedOutPanel = element('signed-out');
const signedInPanel = element('signed-in');
const meBox = element('me');
const sessionList = element<HTMLUListElement>('sessions');
const eventList = element<HTMLUListElement>('events');
const reauthForm = element<HTMLFormElement>('reauth-form');

/** A security event as `GET /users/me/security-events` answers it. */
interface SecurityEvent {
  type: string;
  at: string;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** What each security event means, as the account's owner would say it. */
const EVENT_SENTENCES: Record<string, string> = {
  registered: 'Account created',
  login: 'Signed in',
  login_failed: 'A wrong password was entered',
  login_locked: 'Sign-in was locked after too many wrong passwords',
  refresh_token_reused: 'A copied sign-in was detected, and that session was ended',
  session_revoked: 'A session was signed out',
  logout_all: 'Signed out everywhere',
  password_changed: 'Password changed',
  reauthenticated: 'Password confirmed again',
  session_evicted: 'The oldest session was signed out to make room for a new one',
};

function show(state: PageState, text: string, sessionId?: string): void {
  document.body.dataset.state = state;
  statusBox.className = `status status-${state}`;
  statusBox.textContent = text;
  if (sessionId) statusBox.dataset.sessionId = sessionId;
  else delete statusBox.dataset.sessionId;
  signedOutPanel.hidden = state === 'signed-in' || state === 'loading';
  signedInPanel.hidden = state !== 'signed-in';
  if (state !== 'signed-in') {
    meBox.textContent = '';
    sessionList.replaceChildren();
    eventList.replaceChildren();
    reauthForm.hidden = true;
    reauthForm.reset();
  }
}

function say(text: string): void {
  messageBox.textContent = text;
  messageBox.hidden = text === '';
}

session.onSessionEnded((code: SessionEndedCode) => {
  if (code === 'account_deleted') show('signed-out', 'Your account has been deleted.');
  else if (signingOut) show('signed-out', 'Signed out.');
  else show('ended', `Session ended (${code}). Sign in again.`);
});

/** Runs a user action, turning the client's errors into something to read. */
async function act(action: () => Promise<void>): Promise<void> {
  say('');
  try {
    await action();
  } catch (error) {
    // The onSessionEnded listener has already shown the ended state.
    if (error instanceof SessionEndedError) return;
    if (error instanceof ServiceUnavailableError)
      say('The service is unavailable; try again later.');
    else if (error instanceof ApiError) say(`${error.message} (${error.code})`);
    else say(String(error));
  }
}

function signedIn(user: Pick<User, 'email' | 'displayName'>, sessionId: string): void {
  const name = user.displayName ? `${user.displayName} <${user.email}>` : user.email;
  show('signed-in', `Signed in as ${name}`, sessionId);
}

async function whoAmI(): Promise<void> {
  const me: CurrentUser = await session.me();
  meBox.textContent = JSON.stringify(me, null, 2);
}

async function loadSessions(): Promise<void> {
  const sessions = await session.request<Session[]>('/sessions');
  sessionList.replaceChildren(...sessions.map(sessionItem));
}

async function loadEvents(): Promise<void> {
  const events = await session.request<SecurityEvent[]>('/users/me/security-events');
  eventList.replaceChildren(...events.map(eventItem));
}

/** "Signed in · in this browser · from 203.0.113.7 · 6 Dec 2026, 09:01", newest first. */
function eventItem(event: SecurityEvent): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.type = event.type;
  const parts = [EVENT_SENTENCES[event.type] ?? event.type.replaceAll('_', ' ')];
  if (event.sessionId && event.sessionId === statusBox.dataset.sessionId) {
    parts.push('in this browser');
  }
  if (event.ip) parts.push(`from ${event.ip}`);
  parts.push(new Date(event.at).toLocaleString());
  li.textContent = parts.join(' · ');
  if (event.userAgent) li.title = event.userAgent;
  return li;
}

/** Shows the password form and resolves with what is typed, or null when cancelled. */
function askPassword(): Promise<string | null> {
  reauthForm.hidden = false;
  reauthForm.querySelector('input')?.focus();
  return new Promise((resolve) => {
    const done = (password: string | null) => {
      reauthForm.removeEventListener('submit', submitted);
      element('reauth-cancel').removeEventListener('click', cancelled);
      reauthForm.reset();
      reauthForm.hidden = true;
      resolve(password);
    };
    const submitted = (event: Event) => {
      event.preventDefault();
      done(formValues(reauthForm).password ?? '');
    };
    const cancelled = () => done(null);
    reauthForm.addEventListener('submit', submitted);
    element('reauth-cancel').addEventListener('click', cancelled);
  });
}

/**
 * Deletes the account; when the service wants a recent sign-in, asks for the password, proves it
 * and tries again. A wrong password leaves the form closed and says so.
 */
async function deleteAccount(): Promise<void> {
  try {
    await session.deleteAccount();
  } catch (error) {
    if (!(error instanceof ReauthenticationRequiredError)) throw error;
    say('Please confirm your password to delete the account.');
    const password = await askPassword();
    say('');
    if (password === null) return;
    await session.reauthenticate(password);
    await session.deleteAccount();
  }
}

function sessionItem(item: Session): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.sessionId = item.id;
  const text = document.createElement('span');
  const device = item.device ?? 'Unknown device';
  text.textContent =
    `${item.current ? `${device} (this browser)` : device} · ` +
    `signed in ${new Date(item.createdAt).toLocaleString()} · ` +
    `last used ${new Date(item.lastUsedAt).toLocaleString()}` +
    (item.persistent ? '' : ' · until the browser closes');
  if (item.userAgent) li.title = item.userAgent;
  if (item.current) li.classList.add('current');
  li.append(text);
  if (!item.current) {
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'revoke';
    revoke.textContent = 'Revoke';
    revoke.addEventListener('click', () =>
      act(async () => {
        await session.request(`/sessions/${encodeURIComponent(item.id)}`, { method: 'DELETE' });
        await loadSessions();
      }),
    );
    li.append(revoke);
  }
  return li;
}

function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, key) => {
    if (typeof value === 'string' && value !== '') values[key] = value;
  });
  return values;
}

function onSubmit(id: string, signIn: (values: Record<string, string>) => Promise<void>): void {
  const form = element<HTMLFormElement>(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(async () => {
      await signIn(formValues(form));
      form.reset();
      await Promise.all([whoAmI(), loadSessions(), loadEvents()]);
    });
  });
}

onSubmit('login-form', async ({ email = '', password = '', rememberMe }) => {
  // An unticked box is absent from the form's values: the session then ends with the browser.
  const tokens = await session.login({ email, password, rememberMe: rememberMe === 'on' });
  signedIn(tokens.user, tokens.sessionId);
});

onSubmit('register-form', async ({ email = '', password = '', displayName }) => {
  const tokens = await session.register({ email, password, displayName });
  signedIn(tokens.user, tokens.sessionId);
});

element('whoami').addEventListener('click', () => act(whoAmI));
element('load-sessions').addEventListener('click', () => act(loadSessions));
element('load-events').addEventListener('click', () => act(loadEvents));
element('delete-account').addEventListener('click', () => act(deleteAccount));
element('revoke-others').addEventListener('click', () =>
  act(async () => {
    await session.request('/sessions', { method: 'DELETE' });
    await loadSessions();
  }),
);
element('logout').addEventListener('click', () =>
  act(async () => {
    signingOut = true;
    try {
      await session.logout();
    } finally {
      signingOut = false;
    }
  }),
);

/** On load: a session may already live in the cookies (a reload, another tab). */
async function start(): Promise<void> {
  try {
    const me = await session.me();
    const user = await session.request<User>('/users/me');
    signedIn(user, me.sessionId);
    meBox.textContent = JSON.stringify(me, null, 2);
    await Promise.all([loadSessions(), loadEvents()]);
  } catch (error) {
    if (document.body.dataset.state === 'ended') return;
    show('signed-out', 'Signed out.');
    if (!(error instanceof SessionEndedError)) await act(() => Promise.reject(error));
  }
}

void start();
