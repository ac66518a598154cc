// The web chat page: draws the view the server streams (GET /api/events), with the bot's photos from
// GET /api/photo/<file_id>, and turns clicks and typing into POST /api/send, /api/press, /api/block, and
// /api/wallet, /api/deposit and /api/pay (test wallets). When the peer hosts several bots, the selector
// picks the one to chat with (`bot` in the event stream's query, `botId` in the actions; the default bot
// until one is chosen). Message text is only ever inserted as DOM text nodes; Telegram's
// entities (offsets in UTF-16 code units, like JavaScript strings) become elements around those text nodes.
// No innerHTML anywhere.

const DEFAULT_USER = { id: 2001, name: 'Web user' };
const TOAST_MS = 4000;

const $ = (selector, root = document) => root.querySelector(selector);

const panes = {
  user: $('#user-pane'),
  admin: $('#admin-pane'),
};

let current = loadUser();
/** The chosen bot's id; `undefined`: the peer's default bot. */
let currentBot;
let source;
let lastView;
const shownNotices = new Set();
let noticesPrimed = false;

function loadUser() {
  const id = Number(localStorage.getItem('webchat.user.id'));
  const name = localStorage.getItem('webchat.user.name');
  return Number.isSafeInteger(id) && id > 0 && name ? { id, name } : { ...DEFAULT_USER };
}

function saveUser(user) {
  localStorage.setItem('webchat.user.id', String(user.id));
  localStorage.setItem('webchat.user.name', user.name);
}

// ---- formatting ---------------------------------------------------------------------------------------

/** A URL safe to put in href: http(s), tg and mailto only. */
function safeHref(raw, assumeHttp) {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const candidate = assumeHttp && !/^[a-z][a-z0-9+.-]*:/i.test(raw) ? `http://${raw}` : raw;
  try {
    const url = new URL(candidate);
    return ['http:', 'https:', 'tg:', 'mailto:'].includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function link(href) {
  const a = document.createElement('a');
  if (href !== undefined) {
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  return a;
}

/** The element for one entity; `inner` is where its text goes. */
function elementFor(entity, entityText, pane) {
  const simple = {
    bold: 'strong',
    italic: 'em',
    underline: 'u',
    strikethrough: 's',
    code: 'code',
    blockquote: 'blockquote',
    expandable_blockquote: 'blockquote',
  }[entity.type];
  if (simple !== undefined) {
    const el = document.createElement(simple);
    return { outer: el, inner: el };
  }
  switch (entity.type) {
    case 'pre': {
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      if (typeof entity.language === 'string') code.dataset.language = entity.language;
      pre.append(code);
      return { outer: pre, inner: code };
    }
    case 'text_link': {
      const a = link(safeHref(entity.url, false));
      return { outer: a, inner: a };
    }
    case 'url': {
      const a = link(safeHref(entityText, true));
      return { outer: a, inner: a };
    }
    case 'email': {
      const a = link(safeHref(`mailto:${entityText}`, false));
      return { outer: a, inner: a };
    }
    case 'spoiler': {
      const span = document.createElement('span');
      span.className = 'spoiler';
      span.title = 'Spoiler: click to reveal';
      span.addEventListener('click', () => span.classList.toggle('revealed'));
      return { outer: span, inner: span };
    }
    case 'bot_command': {
      const span = document.createElement('span');
      span.className = 'command';
      span.title = 'Send this command';
      span.addEventListener('click', () => void send(pane, entityText));
      return { outer: span, inner: span };
    }
    default: {
      const span = document.createElement('span');
      span.className = `entity-${String(entity.type).replace(/[^a-z_]/g, '')}`;
      return { outer: span, inner: span };
    }
  }
}

function validEntities(text, entities) {
  return (Array.isArray(entities) ? entities : [])
    .filter(
      (e) =>
        Number.isInteger(e.offset) &&
        Number.isInteger(e.length) &&
        e.offset >= 0 &&
        e.length > 0 &&
        e.offset + e.length <= text.length,
    )
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
}

/** Appends text[start, end) to parent, wrapping the spans `entities` (sorted, within the range) in elements. */
function appendRange(parent, text, start, end, entities, pane) {
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const entityEnd = entity.offset + entity.length;
    let j = i + 1;
    while (j < entities.length && entities[j].offset < entityEnd) j += 1;
    const from = Math.max(entity.offset, pos);
    const to = Math.min(entityEnd, end);
    if (to > from) {
      if (from > pos) parent.append(text.slice(pos, from));
      const el = elementFor(entity, text.slice(entity.offset, entityEnd), pane);
      appendRange(el.inner, text, from, to, entities.slice(i + 1, j), pane);
      parent.append(el.outer);
      pos = to;
    }
    i = j;
  }
  if (end > pos) parent.append(text.slice(pos, end));
}

function formatted(text, entities, pane) {
  const div = document.createElement('div');
  div.className = 'text';
  appendRange(div, text, 0, text.length, validEntities(text, entities), pane);
  return div;
}

// ---- drawing ------------------------------------------------------------------------------------------

function keyboardOf(message, pane) {
  const box = document.createElement('div');
  box.className = 'keyboard';
  for (const row of message.keyboard) {
    const line = document.createElement('div');
    line.className = 'row';
    for (const button of row) {
      let el;
      if (typeof button.data === 'string') {
        el = document.createElement('button');
        el.type = 'button';
        el.addEventListener('click', () => void press(pane, message.id, button.data));
      } else if (typeof button.url === 'string') {
        el = link(safeHref(button.url, false));
      } else {
        el = document.createElement('button');
        el.type = 'button';
        el.disabled = true;
        el.title = 'Not supported by the local peer';
      }
      el.classList.add('kb');
      el.textContent = button.text;
      line.append(el);
    }
    box.append(line);
  }
  return box;
}

/** A photo the bot sent, from this page's own server (only same-origin /api/photo/ paths are drawn). */
function photoOf(photo) {
  if (typeof photo.src !== 'string' || !photo.src.startsWith('/api/photo/')) return undefined;
  const img = document.createElement('img');
  img.className = 'photo';
  img.alt = 'Photo';
  if (Number.isInteger(photo.width) && Number.isInteger(photo.height)) {
    img.width = photo.width;
    img.height = photo.height;
  }
  img.src = photo.src;
  return img;
}

function time(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function messageItem(message, pane, mine) {
  const li = document.createElement('li');
  li.className = `msg ${message.fromBot ? 'bot' : 'person'}${mine ? ' mine' : ''}`;
  li.dataset.messageId = String(message.id);
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${message.from} · ${time(message.date)}${message.edited ? ' · edited' : ''}`;
  li.append(meta);
  const photo = message.photo === undefined ? undefined : photoOf(message.photo);
  if (photo !== undefined) li.append(photo);
  // A photo's caption is its text; a photo without one has none to draw.
  if (message.photo === undefined || message.text !== '') li.append(formatted(message.text, message.entities, pane));
  if (message.keyboard.length > 0) li.append(keyboardOf(message, pane));
  return li;
}

function drawChat(pane, chat, isMine) {
  const root = panes[pane];
  $('.chat-title', root).textContent = chat.title;
  const omitted = $('.omitted', root);
  omitted.hidden = chat.omitted === 0;
  omitted.textContent = `${chat.omitted} older messages not shown`;
  const list = $('.messages', root);
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...chat.messages.map((m) => messageItem(m, pane, isMine(m))));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function toast(pane, notice) {
  const el = document.createElement('div');
  el.className = `toast${notice.alert ? ' alert' : ''}`;
  el.textContent = notice.text;
  $('.toasts', panes[pane]).append(el);
  setTimeout(() => el.remove(), TOAST_MS);
}

/** The bot selector: shown when there is more than one bot to chat with. */
function drawBots(view) {
  const select = $('#bot');
  const options = view.bots.map((bot) => {
    const option = document.createElement('option');
    option.value = String(bot.id);
    option.textContent = `${bot.first_name} (@${bot.username})`;
    return option;
  });
  const same =
    select.options.length === options.length &&
    options.every(
      (option, i) => select.options[i].value === option.value && select.options[i].textContent === option.textContent,
    );
  if (!same) select.replaceChildren(...options);
  select.value = String(view.bot.id);
  $('#bot-choice').hidden = view.bots.length < 2;
}

function draw(view) {
  lastView = view;
  document.title = `${view.bot.first_name} · web chat`;
  $('#bot-name').textContent = `${view.bot.first_name} (@${view.bot.username})`;
  drawBots(view);
  drawChat('user', view.userChat, (m) => m.fromId === view.user.id);
  $('#block').textContent = view.userChat.blocked ? 'Unblock bot' : 'Block bot';
  panes.user.classList.toggle('blocked', view.userChat.blocked);
  panes.admin.hidden = view.adminChat === undefined;
  if (view.adminChat !== undefined) {
    $('.as', panes.admin).textContent = `(you press and write as ${view.admin.first_name}, id ${view.admin.id})`;
    drawChat('admin', view.adminChat, (m) => m.fromId === view.admin.id);
  }
  for (const notice of view.notices) {
    if (shownNotices.has(notice.id)) continue;
    shownNotices.add(notice.id);
    // Answers given before this page opened are history, not news.
    if (noticesPrimed) toast(notice.pane, notice);
  }
  noticesPrimed = true;
}

// ---- talking to the server ----------------------------------------------------------------------------

function setStatus(text, down) {
  const status = $('#status');
  status.textContent = text;
  status.classList.toggle('down', down);
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    setStatus(`error: ${answer.error ?? response.status}`, true);
    return undefined;
  }
  return answer;
}

function send(pane, text) {
  return post('/api/send', { pane, userId: current.id, botId: currentBot, text });
}

function press(pane, messageId, data) {
  return post('/api/press', { pane, userId: current.id, botId: currentBot, messageId, data });
}

function connect() {
  source?.close();
  shownNotices.clear();
  noticesPrimed = false;
  $('#user-id').value = String(current.id);
  $('#user-name').value = current.name;
  const query = new URLSearchParams({ user: String(current.id), name: current.name });
  if (currentBot !== undefined) query.set('bot', String(currentBot));
  source = new EventSource(`/api/events?${query}`);
  source.onopen = () => setStatus(`live · user ${current.id}`, false);
  source.onerror = () => setStatus('disconnected, retrying…', true);
  source.onmessage = (event) => {
    setStatus(`live · user ${current.id}`, false);
    draw(JSON.parse(event.data));
  };
}

for (const pane of ['user', 'admin']) {
  const form = $('.composer', panes[pane]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.elements.namedItem('text');
    const text = input.value.trim();
    if (text === '') return;
    input.value = '';
    void send(pane, text);
  });
}

$('#bot').addEventListener('change', (event) => {
  currentBot = Number(event.target.value);
  connect();
});

$('#who').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = Number($('#user-id').value);
  const name = $('#user-name').value.trim();
  if (!Number.isSafeInteger(id) || id <= 0 || name === '') return;
  current = { id, name };
  saveUser(current);
  connect();
});

// A test wallet lent by the page (local only), so a person can make the deposits the bot looks for.
async function openWallet() {
  const wallet = await post('/api/wallet', { userId: current.id });
  if (!wallet) return;
  $('#wallet-address').textContent = wallet.address;
  $('#wallet-balance').textContent = `${Number(wallet.lamports) / 1e9} SOL`;
  $('#wallet-deposit').disabled = false;
  $('#wallet-pay').disabled = false;
  $('#wallet-pay-url').disabled = false;
}

// Pays a deposit request the way a Solana Pay wallet does (1 SOL when the request names no amount).
async function payRequest(url) {
  const paid = await post('/api/pay', { userId: current.id, url: url.trim(), sol: 1 });
  if (paid) await openWallet();
}
$('#wallet-pay').addEventListener('click', () => void payRequest($('#wallet-pay-url').value));
// Clicking a solana: link in a bot message pays it too.
document.addEventListener('click', (event) => {
  const code = event.target instanceof Element ? event.target.closest('code') : null;
  if (!code?.textContent?.startsWith('solana:') || $('#wallet-pay').disabled) return;
  $('#wallet-pay-url').value = code.textContent;
});

$('#wallet-open').addEventListener('click', () => void openWallet());
$('#wallet-deposit').addEventListener('click', async () => {
  const sent = await post('/api/deposit', { userId: current.id, sol: 1 });
  if (sent) await openWallet();
});
// No test wallets when the bot runs against a real cluster.
fetch('/api/wallets')
  .then((response) => response.json())
  .then((answer) => {
    $('#test-wallet').hidden = answer.available !== true;
  })
  .catch(() => undefined);

$('#block').addEventListener('click', () => {
  void post('/api/block', { userId: current.id, botId: currentBot, blocked: !lastView?.userChat.blocked });
});

connect();
