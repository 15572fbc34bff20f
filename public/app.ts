/**
 * The demo page: the browser client in cookie transport. The page never sees a token: the service
 * keeps them in httpOnly cookies, and nothing is written to localStorage or sessionStorage.
 */
import {
  ApiError,
  createSessionClient,
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
  }
}

function say(text: string): void {
  messageBox.textContent = text;
  messageBox.hidden = text === '';
}

session.onSessionEnded((code: SessionEndedCode) => {
  if (signingOut) show('signed-out', 'Signed out.');
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

function sessionItem(item: Session): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.sessionId = item.id;
  const text = document.createElement('span');
  text.textContent =
    `${item.current ? 'This browser' : (item.userAgent ?? 'unknown client')} · ` +
    `signed in ${new Date(item.createdAt).toLocaleString()} · ` +
    `last used ${new Date(item.lastUsedAt).toLocaleString()}`;
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
      await Promise.all([whoAmI(), loadSessions()]);
    });
  });
}

onSubmit('login-form', async ({ email = '', password = '' }) => {
  const tokens = await session.login({ email, password });
  signedIn(tokens.user, tokens.sessionId);
});

onSubmit('register-form', async ({ email = '', password = '', displayName }) => {
  const tokens = await session.register({ email, password, displayName });
  signedIn(tokens.user, tokens.sessionId);
});

element('whoami').addEventListener('click', () => act(whoAmI));
element('load-sessions').addEventListener('click', () => act(loadSessions));
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
    await loadSessions();
  } catch (error) {
    if (document.body.dataset.state === 'ended') return;
    show('signed-out', 'Signed out.');
    if (!(error instanceof SessionEndedError)) await act(() => Promise.reject(error));
  }
}

void start();
