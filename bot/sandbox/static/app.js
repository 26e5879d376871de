// The sandbox chat client: plain JavaScript, no framework, no build step.
//
// It shows the fake Telegram's chats, and Messenger conversations with the office's Page
// over the fake Graph API, as the two apps would, from the JSON API of bot/sandbox/web.py,
// and follows changes through server-sent events (/api/events).
// Every piece of text goes into the page through textContent or DOM nodes, never as HTML:
// Telegram formatting is rebuilt from the message's entities; Messenger's text is plain.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const MOBILE = window.matchMedia("(max-width: 700px)");
  const MAX_LOG = 400;
  const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:", "tel:"]);

  const state = {
    bot: null,
    page: null, // the office's Facebook Page, when Messenger is on
    personas: [],
    byKey: new Map(),
    current: null,
    chats: new Map(), // key -> {messages: Map(id -> view), keyboard, commands, loaded, loading, buffer, unread, kbHidden}
    attachments: [],
    pending: new Map(), // query_id -> button element
    calls: [],
    demoPhone: "+97699112233",
    connected: false,
    everConnected: false,
  };

  // --- small DOM helpers ---------------------------------------------------------------------

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = value;
        else if (key === "dataset") Object.assign(el.dataset, value);
        else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function safeUrl(raw) {
    try {
      const url = new URL(raw, window.location.href);
      return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  function fileUrl(fileId, download) {
    return `/files/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
  }

  function humanSize(bytes) {
    if (!Number.isFinite(bytes)) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function clock(unix) {
    const d = new Date(unix * 1000);
    return d.toLocaleTimeString("mn-MN", { hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function dayLabel(unix) {
    const d = new Date(unix * 1000);
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return "Өнөөдөр";
    return `${d.getFullYear()}.${String(d.getMonth() + 1).padStart(2, "0")}.${String(d.getDate()).padStart(2, "0")}`;
  }

  function initials(title) {
    const words = title.replace(/[()«»"]/g, " ").split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
    const first = words[0] ? Array.from(words[0])[0] : "?";
    const second = words[1] && !/^\p{Ll}/u.test(words[1]) ? Array.from(words[1])[0] : "";
    return (first + second).toUpperCase();
  }

  const ICONS = {
    group: "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20c.4-3.6 3-5.5 6.5-5.5s6.1 1.9 6.5 5.5M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.8c2 .7 3.3 2.5 3.5 5.2",
    channel: "M3.5 10v4h3l6.5 4.5v-13L6.5 10zM16.5 8.5a4.5 4.5 0 0 1 0 7M19 6a8 8 0 0 1 0 12",
  };

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "ico");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    for (const [k, v] of Object.entries({ fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round" })) path.setAttribute(k, v);
    svg.append(path);
    return svg;
  }

  function avatarFor(persona, small) {
    const index = state.personas.filter((p) => p.role === "citizen").indexOf(persona);
    const alt = persona.role === "citizen" && index > 0 ? ` alt${((index - 1) % 2) + 1}` : "";
    const face = persona.role === "group" || persona.role === "channel" ? icon(persona.role) : initials(persona.title.replace(/\(Messenger\)/, ""));
    const messenger = persona.channel === "messenger";
    return h("div", { class: `avatar${small ? " small" : ""} role-${persona.role}${alt}${messenger ? " ch-messenger" : ""}`, "aria-hidden": "true" },
      face, messenger ? h("span", { class: "ch-badge", title: "Messenger" }, messengerLogo()) : null);
  }

  function messengerLogo() {
    // Messenger's speech bubble with its lightning bolt, drawn here (no external image).
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "ico");
    svg.setAttribute("aria-hidden", "true");
    const bubble = document.createElementNS(ns, "path");
    bubble.setAttribute("d", "M12 2.5C6.5 2.5 2.5 6.5 2.5 11.6c0 2.7 1.1 5 2.9 6.6v3.3l3.1-1.7c1.1.3 2.3.5 3.5.5 5.5 0 9.5-4 9.5-9.1S17.5 2.5 12 2.5z");
    bubble.setAttribute("fill", "currentColor");
    const bolt = document.createElementNS(ns, "path");
    bolt.setAttribute("d", "M6.6 14.3l3.1-4.9 2.6 2 3.3-2-3.1 4.9-2.6-2z");
    bolt.setAttribute("fill", "#fff");
    svg.append(bubble, bolt);
    return svg;
  }

  // --- the API ---------------------------------------------------------------------------------

  async function api(path, body) {
    const options = { headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["X-Sandbox"] = "1";
      if (body instanceof FormData) {
        options.body = body;
      } else {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
    }
    const response = await fetch(path, options);
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
    return data;
  }

  function isMessenger(persona) {
    return Boolean(persona && persona.channel === "messenger");
  }

  function chatState(key) {
    let chat = state.chats.get(key);
    if (!chat) {
      chat = { messages: new Map(), keyboard: null, commands: [], menu: [], welcome: null, phone: "", loaded: false, loading: false, buffer: [], unread: 0, kbHidden: false, cache: new Map() };
      state.chats.set(key, chat);
    }
    return chat;
  }

  // --- Telegram formatting from entities --------------------------------------------------------

  function renderText(text, entities, context) {
    const fragment = document.createDocumentFragment();
    if (!text) return fragment;
    const items = (entities || [])
      .filter((e) => e && e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .map((e) => ({ entity: e, start: e.offset, end: Math.min(e.offset + e.length, text.length) }))
      .sort((a, b) => a.start - b.start || b.end - a.end);
    build(fragment, 0, text.length, items);
    return fragment;

    function build(parent, start, end, list) {
      let pos = start;
      let i = 0;
      while (i < list.length) {
        const item = list[i];
        const from = Math.max(item.start, pos);
        if (from >= end) break;
        const to = Math.min(item.end, end);
        if (to <= from) {
          i += 1;
          continue;
        }
        if (from > pos) parent.append(text.slice(pos, from));
        let j = i + 1;
        const inner = [];
        while (j < list.length && list[j].start < to) {
          inner.push(list[j]);
          j += 1;
        }
        const { outer, body } = entityElement(item.entity, text.slice(from, to), context);
        build(body, from, to, inner);
        parent.append(outer);
        pos = to;
        i = j;
      }
      if (pos < end) parent.append(text.slice(pos, end));
    }
  }

  function entityElement(entity, covered, context) {
    const simple = (tag, cls) => {
      const el = h(tag, cls ? { class: cls } : null);
      return { outer: el, body: el };
    };
    switch (entity.type) {
      case "bold": return simple("strong");
      case "italic": return simple("em");
      case "underline": return simple("u");
      case "strikethrough": return simple("s");
      case "code": return simple("code");
      case "pre": {
        const code = h("code", entity.language ? { class: `language-${entity.language}` } : null);
        return { outer: h("pre", null, code), body: code };
      }
      case "blockquote":
      case "expandable_blockquote": return simple("blockquote");
      case "spoiler": {
        const el = h("span", { class: "spoiler", title: "Харахын тулд дарна уу", role: "button", tabindex: "0" });
        const reveal = (event) => {
          if (!el.classList.contains("revealed")) {
            event.preventDefault();
            event.stopPropagation();
            el.classList.add("revealed");
          }
        };
        el.addEventListener("click", reveal);
        el.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") reveal(event); });
        return { outer: el, body: el };
      }
      case "text_link":
      case "url":
      case "email":
      case "phone_number": {
        let target = entity.url || covered;
        if (entity.type === "email") target = `mailto:${covered}`;
        else if (entity.type === "phone_number") target = `tel:${covered.replace(/[^\d+]/g, "")}`;
        else if (entity.type === "url" && !/^[a-z][a-z0-9+.-]*:/i.test(target)) target = `http://${target}`;
        const href = safeUrl(target);
        if (!href) return simple("span", "link-unsafe");
        const el = h("a", { href, target: "_blank", rel: "noopener noreferrer", title: href });
        return { outer: el, body: el };
      }
      case "bot_command": {
        if (!context || !context.canWrite) return simple("span", "cmd");
        const el = h("a", { class: "cmd", href: "#", title: "Илгээх" });
        el.addEventListener("click", (event) => {
          event.preventDefault();
          sendText(covered);
        });
        return { outer: el, body: el };
      }
      case "mention":
      case "text_mention": return simple("span", "mention");
      case "hashtag":
      case "cashtag": return simple("span", "hashtag");
      default: return simple("span");
    }
  }

  // --- messages -----------------------------------------------------------------------------

  function plainPreview(view) {
    if (!view.message) return messengerPreview(view);
    const m = view.message;
    const text = m.text || m.caption || "";
    let prefix = "";
    if (m.photo) prefix = "🖼 Зураг";
    else if (m.video) prefix = "🎬 Видео";
    else if (m.document) prefix = `📄 ${m.document.file_name || "Файл"}`;
    else if (m.voice) prefix = "🎤 Дуут мессеж";
    else if (m.audio) prefix = "🎵 Аудио";
    else if (m.sticker) prefix = m.sticker.emoji || "Стикер";
    else if (m.contact) prefix = `👤 ${m.contact.phone_number}`;
    else if (m.location) prefix = "📍 Байршил";
    else if (m.poll) prefix = `📊 ${m.poll.question}`;
    else if (m.new_chat_members) prefix = "нэгдлээ";
    const body = prefix && text ? `${prefix}, ${text}` : prefix || text;
    return (view.own ? "Та: " : "") + body.replace(/\s+/g, " ");
  }

  function serviceText(view) {
    const m = view.message;
    if (m.new_chat_members) {
      const names = m.new_chat_members.map((u) => u.first_name).join(", ");
      return `${names} группт нэгдлээ`;
    }
    if (m.left_chat_member) return `${m.left_chat_member.first_name} группээс гарлаа`;
    if (m.pinned_message) return `${view.sender} мессеж тогтоолоо`;
    if (m.new_chat_title) return `Группын нэр: «${m.new_chat_title}»`;
    return null;
  }

  function groupMessages(views) {
    // Consecutive messages of one album (media_group_id) become one bubble.
    const groups = [];
    for (const view of views) {
      const album = view.message.media_group_id;
      const last = groups[groups.length - 1];
      if (album && last && last[0].message.media_group_id === album && last[0].by_bot === view.by_bot) last.push(view);
      else groups.push([view]);
    }
    return groups;
  }

  function signature(group) {
    return group.map((v) => `${v.id}:${v.message.edit_date || 0}:${v.edited ? 1 : 0}:${v.own ? 1 : 0}`).join(",");
  }

  function renderMedia(items) {
    const visual = items.filter((m) => m.photo || m.video || m.animation);
    if (!visual.length) return null;
    const count = visual.length;
    const grid = h("div", { class: `media ${count <= 4 ? `n${count}` : "many"}` });
    for (const m of visual) {
      if (m.photo) {
        const size = m.photo[m.photo.length - 1];
        const img = h("img", {
          src: fileUrl(size.file_id),
          alt: "Зураг",
          loading: "lazy",
          width: size.width || null,
          height: size.height || null,
        });
        if (count === 1) fitSize(img, size.width, size.height);
        const link = h("a", { href: fileUrl(size.file_id), target: "_blank", rel: "noopener", title: "Бүтэн хэмжээгээр нээх" }, img);
        img.addEventListener("error", () => link.replaceWith(missingMedia("🖼", "Зураг", size.file_id, size)), { once: true });
        grid.append(link);
      } else {
        const file = m.video || m.animation;
        const video = h("video", { src: fileUrl(file.file_id), controls: true, preload: "metadata", playsinline: true });
        if (count === 1) fitSize(video, file.width, file.height);
        video.addEventListener("error", () => video.replaceWith(missingMedia("🎬", "Видео", file.file_id, file)), { once: true });
        grid.append(video);
      }
    }
    return grid;
  }

  function fitSize(el, width, height) {
    // A single photo or video is shown at its own shape, scaled into a 360×320 box.
    if (!width || !height) return;
    const scale = Math.min(360 / width, 320 / height);
    el.style.width = `${Math.round(width * scale)}px`;
    el.style.height = `${Math.round(height * scale)}px`;
  }

  function missingMedia(icon, label, fileId, file) {
    const dims = file.width && file.height ? ` · ${file.width}×${file.height}` : "";
    return h("a", { class: "media-missing", href: fileUrl(fileId, true), download: "", title: "Татаж авах" },
      h("span", null, h("span", { class: "big" }, icon), `${label}${dims}`, h("br"), `${humanSize(file.file_size)} · татах`));
  }

  function renderFiles(m) {
    const parts = [];
    const fileCard = (icon, file, fallbackName) => h("a", { class: "file", href: fileUrl(file.file_id, true), download: file.file_name || fallbackName, title: "Татаж авах" },
      h("div", { class: "file-icon", "aria-hidden": "true" }, icon),
      h("div", null,
        h("div", { class: "file-name" }, file.file_name || fallbackName),
        h("div", { class: "file-size" }, [humanSize(file.file_size), file.mime_type].filter(Boolean).join(" · "))));
    if (m.document) parts.push(fileCard("📄", m.document, "file"));
    if (m.audio) parts.push(h("div", null, fileCard("🎵", m.audio, m.audio.title || "audio.mp3"), h("audio", { controls: true, preload: "none", src: fileUrl(m.audio.file_id) })));
    if (m.voice) parts.push(h("div", null, fileCard("🎤", m.voice, `voice-${m.voice.duration || 0}s.ogg`), h("audio", { controls: true, preload: "none", src: fileUrl(m.voice.file_id) })));
    if (m.sticker) parts.push(h("div", { class: "sticker", title: "Стикер" }, m.sticker.emoji || "🙂"));
    if (m.contact) {
      const name = [m.contact.first_name, m.contact.last_name].filter(Boolean).join(" ");
      parts.push(h("div", { class: "card" }, h("div", { class: "file-icon", "aria-hidden": "true" }, "👤"),
        h("div", null, h("div", { class: "card-title" }, name), h("div", { class: "card-sub" }, m.contact.phone_number))));
    }
    if (m.location) {
      parts.push(h("div", { class: "card" }, h("div", { class: "file-icon", "aria-hidden": "true" }, "📍"),
        h("div", null, h("div", { class: "card-title" }, "Байршил"), h("div", { class: "card-sub" }, `${m.location.latitude.toFixed(5)}, ${m.location.longitude.toFixed(5)}`))));
    }
    if (m.poll) {
      parts.push(h("div", null, h("div", { class: "poll-q" }, `📊 ${m.poll.question}`),
        m.poll.options.map((o) => h("div", { class: "poll-opt" }, h("span", null, o.text), h("span", null, String(o.voter_count))))));
    }
    return parts;
  }

  function renderKeyboard(view, persona) {
    const markup = view.message.reply_markup;
    if (!markup || !markup.inline_keyboard) return null;
    const rows = h("div", { class: "ikb-rows" });
    for (const row of markup.inline_keyboard) {
      const line = h("div", { class: "ikb-row" });
      for (const button of row) {
        if (button.url) {
          const href = safeUrl(button.url);
          line.append(href
            ? h("a", { class: "ikb", href, target: "_blank", rel: "noopener noreferrer", title: href }, button.text, h("span", { class: "ext", "aria-hidden": "true" }, "↗"))
            : h("button", { class: "ikb", type: "button", disabled: true, title: button.url }, button.text));
        } else if (button.callback_data !== undefined) {
          const el = h("button", { class: "ikb", type: "button", dataset: { data: button.callback_data } }, button.text);
          if (!persona.can_write) el.disabled = true;
          el.addEventListener("click", () => pressButton(persona.key, view.id, button.callback_data, el));
          line.append(el);
        } else {
          line.append(h("button", { class: "ikb", type: "button", disabled: true, title: "Энэ төрлийн товч туршилтад ажиллахгүй" }, button.text));
        }
      }
      rows.append(line);
    }
    return rows;
  }

  function renderGroup(group, persona) {
    const first = group[0];
    const service = serviceText(first);
    if (service) return h("div", { class: "service", dataset: { id: first.id } }, service);

    const messages = group.map((v) => v.message);
    const main = messages.find((m) => m.text || m.caption) || messages[0];
    const own = first.own;
    const wrap = h("div", { class: `msg${own ? " own" : ""}${first.by_bot ? " bot" : ""}`, dataset: { id: first.id, ids: group.map((v) => v.id).join(" ") } });
    const bubble = h("div", { class: "bubble" });
    const isGroupChat = persona.chat_type === "group" || persona.chat_type === "supergroup";
    if (isGroupChat && !own) {
      const hue = first.by_bot ? "" : ` c${(Math.abs(Number(first.message.from && first.message.from.id) || 0) % 3) + 1}`;
      bubble.append(h("div", { class: `sender${hue}` }, first.sender));
    }
    if (main.forward_origin) {
      const origin = main.forward_origin;
      const who = origin.sender_user ? origin.sender_user.first_name : origin.chat ? origin.chat.title : origin.sender_user_name || "";
      bubble.append(h("div", { class: "forwarded" }, `Дамжуулсан: ${who}`));
    }
    if (main.reply_to_message) {
      const quoted = main.reply_to_message;
      const name = quoted.from ? (quoted.from.is_bot ? state.bot.name : quoted.from.first_name) : (quoted.sender_chat ? quoted.sender_chat.title : "");
      const quote = h("button", { type: "button", class: "reply-quote", title: "Тэр мессеж рүү очих" },
        h("div", { class: "reply-quote-name" }, name),
        h("div", { class: "reply-quote-text" }, plainPreview({ message: quoted, own: false }) || "…"));
      quote.addEventListener("click", () => flashMessage(quoted.message_id));
      bubble.append(quote);
    }
    const media = renderMedia(messages);
    if (media) bubble.append(media);
    for (const m of messages) for (const part of renderFiles(m)) bubble.append(part);

    const context = { canWrite: persona.can_write };
    if (main.text) {
      bubble.append(h("div", { class: "text" }, renderText(main.text, main.entities, context)));
    } else if (main.caption) {
      bubble.append(h("div", { class: "caption" }, renderText(main.caption, main.caption_entities, context)));
    }
    const onlyMedia = media && !main.text && !main.caption && !messages.some((m) => m.document || m.audio || m.voice);
    if (onlyMedia) bubble.classList.add("media-only");
    const edited = group.some((v) => v.edited);
    bubble.append(h("span", { class: "meta" }, edited ? h("span", { class: "edited" }, "засварласан") : null, clock(main.date)));
    wrap.append(bubble);
    const keyboard = group.length === 1 ? renderKeyboard(first, persona) : null;
    if (keyboard) wrap.append(keyboard);
    return wrap;
  }

  function flashMessage(id) {
    const el = Array.from($("messages").querySelectorAll(".msg")).find((m) => m.dataset.ids.split(" ").includes(String(id)));
    if (!el) return;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }

  function renderMessages(options = {}) {
    const persona = state.current;
    const box = $("messages");
    if (!persona) {
      box.replaceChildren();
      return;
    }
    const chat = chatState(persona.key);
    const views = Array.from(chat.messages.values()).sort((a, b) => a.id - b.id);
    const nearBottom = stickToBottom;
    if (isMessenger(persona)) {
      box.replaceChildren(...messengerNodes(persona, chat, views));
      updateEmpty(persona, views.length === 0);
      if (options.scroll === "bottom" || nearBottom) {
        box.scrollTop = box.scrollHeight;
        stickToBottom = true;
      }
      updateToBottom();
      markRead(persona, views);
      return;
    }
    const nodes = [];
    const nextCache = new Map();
    let lastDay = null;
    for (const group of groupMessages(views)) {
      const day = dayLabel(group[0].message.date);
      if (day !== lastDay) {
        nodes.push(h("div", { class: "day" }, day));
        lastDay = day;
      }
      const sig = signature(group);
      const cached = chat.cache.get(group[0].id);
      const el = cached && cached.sig === sig ? cached.el : renderGroup(group, persona);
      nextCache.set(group[0].id, { sig, el });
      nodes.push(el);
    }
    chat.cache = nextCache;
    box.replaceChildren(...nodes);
    updateEmpty(persona, views.length === 0);
    if (options.scroll === "bottom" || nearBottom) {
      box.scrollTop = box.scrollHeight;
      stickToBottom = true;
    }
    updateToBottom();
  }

  // Follow the newest message while the reader is at the bottom, also when the list area
  // shrinks (a reply keyboard appears) or grows.
  let stickToBottom = true;
  let lastScrollTop = 0;
  function onMessagesScroll() {
    const box = $("messages");
    if (box.scrollHeight - box.scrollTop - box.clientHeight < 60) stickToBottom = true;
    else if (box.scrollTop < lastScrollTop - 2) stickToBottom = false; // the reader scrolled up
    lastScrollTop = box.scrollTop;
    updateToBottom();
  }

  function updateEmpty(persona, empty) {
    const card = $("empty-chat");
    const loaded = state.chats.get(persona.key).loaded;
    if (isMessenger(persona)) {
      // The welcome screen is part of the thread; Get Started takes the composer's place.
      const welcome = state.chats.get(persona.key).welcome;
      card.hidden = true;
      $("start-bar").hidden = !(empty && loaded && welcome && welcome.get_started);
      $("composer").hidden = !$("start-bar").hidden;
      $("readonly-bar").hidden = true;
      return;
    }
    card.hidden = !empty || !loaded;
    $("empty-emoji").textContent = persona.role === "channel" ? "📢" : persona.chat_type === "private" ? "📮" : "👥";
    if (persona.role === "channel") {
      $("empty-title").textContent = "Сувагт нийтлэл алга";
      $("empty-text").textContent = "Бот энэ сувагт нийтлэл тавихад энд гарна.";
    } else if (persona.chat_type === "private") {
      $("empty-title").textContent = state.bot ? state.bot.name : "Бот";
      $("empty-text").textContent = "Иргэд авлигын талаарх гомдол, санал, мэдээллээ нэрээ нууцлан илгээж, баримтын дугаараар хариугаа уншина.\n\n«ЭХЛЭХ» товчийг дарна уу.";
    } else {
      $("empty-title").textContent = "Мессеж алга";
      $("empty-text").textContent = "Шинэ хэргийн мэдэгдэл энд ирнэ.";
    }
    $("start-bar").hidden = !(empty && persona.chat_type === "private" && persona.can_write && state.chats.get(persona.key).loaded);
    $("composer").hidden = !persona.can_write;
    $("readonly-bar").hidden = persona.can_write;
  }

  function updateToBottom() {
    const box = $("messages");
    $("to-bottom").hidden = box.scrollHeight - box.scrollTop - box.clientHeight < 200;
  }

  // --- reply keyboard, commands, attachments ------------------------------------------------

  function renderReplyKeyboard() {
    const persona = state.current;
    const panel = $("reply-keyboard");
    const toggle = $("kb-toggle");
    const chat = persona ? chatState(persona.key) : null;
    const rows = chat && persona.can_write && !isMessenger(persona) ? chat.keyboard : null;
    toggle.hidden = !rows;
    if (!rows || chat.kbHidden || !$("start-bar").hidden) {
      panel.hidden = true;
      panel.replaceChildren();
      return;
    }
    const lines = rows.map((row) => h("div", { class: "rkb-row" }, row.map((button) => {
      const label = typeof button === "string" ? button : button.text;
      const contact = typeof button === "object" && button.request_contact;
      const location = typeof button === "object" && button.request_location;
      const el = h("button", { type: "button", class: `rkb${contact || location ? " special" : ""}` }, contact ? `📱 ${label}` : location ? `📍 ${label}` : label);
      el.addEventListener("click", () => {
        if (contact) askContact();
        else if (location) showToast("Байршил илгээх нь туршилтын орчинд ажиллахгүй.", { error: true });
        else sendText(label);
      });
      return el;
    })));
    panel.replaceChildren(...lines);
    panel.hidden = false;
  }

  function renderCommands() {
    const persona = state.current;
    const chat = persona ? chatState(persona.key) : null;
    if (isMessenger(persona)) {
      renderMessengerMenu(persona, chat);
      return;
    }
    $("menu-btn").hidden = true;
    const commands = chat ? chat.commands : [];
    $("commands-btn").hidden = !commands.length;
    const menu = $("commands-menu");
    menu.classList.remove("mmenu");
    menu.replaceChildren(...commands.map((c) => {
      const el = h("button", { type: "button", class: "command", role: "menuitem" },
        h("span", { class: "command-name" }, `/${c.command}`), h("span", { class: "command-desc" }, c.description));
      el.addEventListener("click", () => {
        menu.hidden = true;
        sendText(`/${c.command}`);
      });
      return el;
    }));
  }

  function renderAttachments() {
    const box = $("attachments");
    box.hidden = state.attachments.length === 0;
    const messenger = isMessenger(state.current);
    box.replaceChildren(...state.attachments.map((item, index) => {
      const select = messenger ? null : h("select", { "aria-label": "Хэрхэн илгээх" });
      const kinds = item.file.type.startsWith("image/") ? [["photo", "зургаар"], ["document", "файлаар"]]
        : item.file.type.startsWith("video/") ? [["video", "видеогоор"], ["document", "файлаар"]]
          : [["document", "файлаар"]];
      if (select) {
        for (const [value, label] of kinds) select.append(h("option", { value, selected: value === item.as }, label));
        select.addEventListener("change", () => { item.as = select.value; });
      }
      const remove = h("button", { type: "button", title: "Хасах", "aria-label": "Хасах" }, "✕");
      remove.addEventListener("click", () => {
        state.attachments.splice(index, 1);
        renderAttachments();
      });
      const icon = item.as === "photo" ? "🖼" : item.as === "video" ? "🎬" : "📄";
      return h("div", { class: "chip" }, h("span", { "aria-hidden": "true" }, icon), h("span", { class: "chip-name", title: item.file.name }, item.file.name), h("span", { class: "file-size" }, humanSize(item.file.size)), select, remove);
    }));
  }

  async function addFiles(files) {
    for (const file of files) {
      const item = { file, as: "document", width: 0, height: 0 };
      if (/^image\/(jpeg|png|webp)$/.test(file.type)) item.as = "photo";
      else if (/^video\/(mp4|webm)$/.test(file.type)) item.as = "video";
      if (file.type.startsWith("image/") && window.createImageBitmap) {
        try {
          const bitmap = await createImageBitmap(file);
          item.width = bitmap.width;
          item.height = bitmap.height;
          bitmap.close();
        } catch {
          item.as = "document";
        }
      }
      state.attachments.push(item);
    }
    renderAttachments();
  }

  // --- Messenger ----------------------------------------------------------------------------
  //
  // A conversation with the office's Page as Messenger shows it: the Page's messages on the
  // left by its avatar, the person's on the right in blue; quick replies as chips under the
  // newest message, gone once anything else is sent; button templates as cards whose buttons
  // stay tappable; the persistent menu behind ☰; a welcome screen with Get Started.

  function messengerPreview(view) {
    let body = view.text || "";
    if (view.attachments && view.attachments.length) {
      const first = view.attachments[0];
      const label = first.type === "image" ? "🖼 Зураг" : first.type === "video" ? "🎬 Видео" : first.type === "audio" ? "🎵 Аудио" : `📄 ${first.name || "Файл"}`;
      body = view.attachments.length > 1 ? `${label} +${view.attachments.length - 1}` : label;
    }
    return (view.own ? "Та: " : "") + body.replace(/\s+/g, " ");
  }

  function linkify(text) {
    // Messenger's text is plain: only web addresses become links.
    const fragment = document.createDocumentFragment();
    const pattern = /https?:\/\/[^\s<>"«»]+[^\s<>"«».,;:!?)]/g;
    let pos = 0;
    for (const match of text.matchAll(pattern)) {
      if (match.index > pos) fragment.append(text.slice(pos, match.index));
      const href = safeUrl(match[0]);
      fragment.append(href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }, match[0]) : match[0]);
      pos = match.index + match[0].length;
    }
    if (pos < text.length) fragment.append(text.slice(pos));
    return fragment;
  }

  function pageAvatar(big) {
    return h("div", { class: `page-avatar${big ? " big" : ""}`, "aria-hidden": "true" }, "110");
  }

  function messengerNodes(persona, chat, views) {
    if (!views.length) return chat.loaded ? [welcomeScreen(persona, chat)] : [];
    const nodes = [];
    const nextCache = new Map();
    let lastDay = null;
    let lastAt = 0;
    views.forEach((view, index) => {
      const day = dayLabel(view.at);
      if (day !== lastDay || view.at - lastAt > 30 * 60) {
        nodes.push(h("div", { class: "m-time" }, day === dayLabel(Date.now() / 1000) ? clock(view.at) : `${day} ${clock(view.at)}`));
        lastDay = day;
      }
      lastAt = view.at;
      const prev = views[index - 1];
      const next = views[index + 1];
      const first = !prev || prev.own !== view.own || nodes[nodes.length - 1].classList.contains("m-time");
      const last = !next || next.own !== view.own;
      const sig = `${first ? 1 : 0}${last ? 1 : 0}`;
      const cached = chat.cache.get(view.id);
      const el = cached && cached.sig === sig ? cached.el : messengerItem(persona, view, first, last);
      nextCache.set(view.id, { sig, el });
      nodes.push(el);
    });
    chat.cache = nextCache;
    const newest = views[views.length - 1];
    if (!newest.own && newest.quick_replies.length) nodes.push(quickReplies(persona, chat, newest));
    return nodes;
  }

  function messengerItem(persona, view, first, last) {
    const side = view.own ? "own" : "page";
    const wrap = h("div", { class: `mmsg ${side}${first ? " first" : ""}${last ? " last" : ""}`, dataset: { id: view.id, ids: String(view.id), via: view.via } });
    if (!view.own) wrap.append(last ? pageAvatar(false) : h("div", { class: "page-avatar-space" }));
    const column = h("div", { class: "mcol", title: clock(view.at) });
    for (const file of view.attachments || []) column.append(messengerAttachment(file));
    if (view.buttons && view.buttons.length) {
      column.append(buttonTemplate(persona, view));
    } else if (view.text) {
      column.append(h("div", { class: `mbubble${view.via === "phone" ? " phone" : ""}` }, linkify(view.text)));
    }
    wrap.append(column);
    return wrap;
  }

  function messengerAttachment(file) {
    const name = file.name || (file.type === "image" ? "Зураг" : "Файл");
    if (file.type === "image") {
      const img = h("img", { src: file.url, alt: name, loading: "lazy" });
      const link = h("a", { class: "mmedia", href: file.url, target: "_blank", rel: "noopener", title: "Бүтэн хэмжээгээр нээх" }, img);
      img.addEventListener("error", () => link.replaceWith(messengerFile(file, "🖼")), { once: true });
      img.addEventListener("load", () => {
        // Its size is known only now: keep following the newest message.
        const box = $("messages");
        if (stickToBottom) box.scrollTop = box.scrollHeight;
      }, { once: true });
      return link;
    }
    if (file.type === "video") {
      const video = h("video", { class: "mmedia", src: file.url, controls: true, preload: "metadata", playsinline: true });
      video.addEventListener("error", () => video.replaceWith(messengerFile(file, "🎬")), { once: true });
      return video;
    }
    if (file.type === "audio") return h("div", { class: "mfile-wrap" }, messengerFile(file, "🎵"), h("audio", { controls: true, preload: "none", src: file.url }));
    return messengerFile(file, "📄");
  }

  function messengerFile(file, glyph) {
    const name = file.name || "file";
    return h("a", { class: "mfile", href: `${file.url}?download=1`, download: name, title: "Татаж авах" },
      h("span", { class: "mfile-icon", "aria-hidden": "true" }, glyph),
      h("span", null, h("span", { class: "mfile-name" }, name), h("span", { class: "mfile-size" }, [humanSize(file.size), file.mime].filter(Boolean).join(" · "))));
  }

  function buttonTemplate(persona, view) {
    const card = h("div", { class: "mtpl" }, h("div", { class: "mtpl-text" }, linkify(view.text || "")));
    view.buttons.forEach((button, index) => {
      if (button.type === "web_url") {
        const href = safeUrl(button.url);
        card.append(href
          ? h("a", { class: "mtpl-btn", href, target: "_blank", rel: "noopener noreferrer", title: href }, button.title, h("span", { class: "ext", "aria-hidden": "true" }, " ↗"))
          : h("button", { class: "mtpl-btn", type: "button", disabled: true }, button.title));
      } else if (button.type === "phone_number") {
        const href = safeUrl(`tel:${String(button.number || "").replace(/[^\d+]/g, "")}`);
        card.append(h("a", { class: "mtpl-btn", href: href || "#" }, `📞 ${button.title}`));
      } else {
        const el = h("button", { class: "mtpl-btn", type: "button" }, button.title);
        el.addEventListener("click", () => messengerAct(persona, "postback", { message_id: view.id, index }, el));
        card.append(el);
      }
    });
    return card;
  }

  function quickReplies(persona, chat, view) {
    const row = h("div", { class: "mqr", role: "group", "aria-label": "Хурдан хариулт", dataset: { for: view.id } });
    view.quick_replies.forEach((reply, index) => {
      let label = reply.title;
      let disabled = false;
      if (reply.content_type === "user_phone_number") label = `📞 ${chat.phone || "Утасны дугаар"}`;
      else if (reply.content_type === "user_email") {
        label = "✉️ Имэйл";
        disabled = true;
      }
      const chip = h("button", { type: "button", class: `mqr-chip${reply.content_type === "text" ? "" : " special"}`, disabled, title: disabled ? "Туршилтад ажиллахгүй" : null }, label);
      chip.addEventListener("click", () => {
        for (const other of row.querySelectorAll("button")) other.disabled = true;
        messengerAct(persona, "quick-reply", { message_id: view.id, index }, chip).then((ok) => {
          if (!ok) for (const other of row.querySelectorAll("button")) other.disabled = false;
        });
      });
      row.append(chip);
    });
    return row;
  }

  function welcomeScreen(persona, chat) {
    const welcome = chat.welcome || {};
    const pageName = state.page ? state.page.name : state.bot.name;
    const card = h("div", { class: "mwelcome" },
      pageAvatar(true),
      h("div", { class: "mwelcome-name" }, pageName),
      h("div", { class: "mwelcome-sub" }, "Facebook хуудас · Messenger"),
      welcome.greeting ? h("div", { class: "mwelcome-greeting" }, welcome.greeting) : null);
    const questions = welcome.ice_breakers || [];
    if (questions.length) {
      const list = h("div", { class: "mwelcome-ice", role: "group", "aria-label": "Асуултууд" });
      questions.forEach((question, index) => {
        const el = h("button", { type: "button", class: "mice" }, question);
        el.addEventListener("click", () => messengerAct(persona, "ice-breaker", { index }, el));
        list.append(el);
      });
      card.append(list);
    }
    return card;
  }

  function renderMessengerMenu(persona, chat) {
    $("commands-btn").hidden = true;
    const items = chat ? chat.menu : [];
    $("menu-btn").hidden = !items.length;
    const menu = $("commands-menu");
    menu.classList.add("mmenu");
    menu.replaceChildren(h("div", { class: "mmenu-title" }, "Цэс · Menu"), ...items.map((item, index) => {
      if (item.type === "web_url") {
        const href = safeUrl(item.url);
        return h("a", { class: "command", role: "menuitem", href: href || "#", target: "_blank", rel: "noopener noreferrer" }, item.title);
      }
      const el = h("button", { type: "button", class: "command", role: "menuitem" }, item.title);
      el.addEventListener("click", () => {
        menu.hidden = true;
        messengerAct(persona, "menu", { index });
      });
      return el;
    }));
  }

  async function messengerAct(persona, action, body, control) {
    // A tap in Messenger: the server records it and posts the signed webhook to the bot.
    if (control) control.classList.add("pending");
    try {
      const data = await api(`/api/chats/${encodeURIComponent(persona.key)}/${action}`, body);
      upsert(persona.key, data.message);
      if (state.current === persona) renderMessages({ scroll: "bottom" });
      return true;
    } catch (error) {
      showToast(error.message, { error: true });
      return false;
    } finally {
      if (control) control.classList.remove("pending");
    }
  }

  function markRead(persona, views) {
    // The open conversation's news is delivered and read, as Messenger reports it.
    const newest = views[views.length - 1];
    if (!newest || newest.own || document.hidden) return;
    const chat = chatState(persona.key);
    if (chat.readUpTo >= newest.id) return;
    chat.readUpTo = newest.id;
    clearTimeout(chat.readTimer);
    chat.readTimer = setTimeout(() => {
      api(`/api/chats/${encodeURIComponent(persona.key)}/read`, {}).catch(() => {});
    }, 400);
  }

  // --- the chat list -------------------------------------------------------------------------

  function renderList() {
    const list = $("chat-list");
    list.replaceChildren(...state.personas.map((persona) => {
      const chat = chatState(persona.key);
      const last = persona.last;
      const button = h("button", { type: "button", class: "chat-item", dataset: { chat: persona.key }, "aria-current": state.current === persona ? "true" : null },
        avatarFor(persona),
        h("div", { class: "chat-item-body" },
          h("div", { class: "chat-item-top" },
            h("span", { class: "chat-name" }, persona.title),
            last ? h("span", { class: "chat-time" }, clock(last.message ? last.message.date : last.at)) : null),
          h("div", { class: "chat-item-bottom" },
            h("span", { class: "chat-preview" }, last ? plainPreview(last) : roleHint(persona)),
            chat.unread ? h("span", { class: "unread", "aria-label": `${chat.unread} шинэ` }, String(chat.unread)) : null)));
      button.addEventListener("click", () => openChat(persona.key, { userAction: true }));
      return h("li", null, button);
    }));
  }

  function roleHint(persona) {
    return {
      citizen: isMessenger(persona) ? "Messenger — хуудсанд гомдол илгээнэ" : "Иргэн — ботод гомдол илгээнэ",
      staff: "Ажилтан — /inbox, /case",
      group: "Ажилтнуудын групп — мэдэгдэл",
      channel: "Суваг — нийтлэл",
    }[persona.role] || "";
  }

  // --- opening a chat ----------------------------------------------------------------------

  async function openChat(key, { userAction = false } = {}) {
    const persona = state.byKey.get(key);
    if (!persona) return;
    const switched = state.current !== persona;
    state.current = persona;
    const chat = chatState(key);
    chat.unread = 0;
    if (switched) {
      state.attachments = [];
      renderAttachments();
      $("commands-menu").hidden = true;
      $("toast").hidden = true;
    }
    if (window.location.hash !== `#${key}`) history.replaceState(null, "", `#${key}`);
    $("app").dataset.view = "chat";
    $("chat").dataset.channel = isMessenger(persona) ? "messenger" : "telegram";
    $("chat-title").textContent = persona.title;
    $("chat-sub").textContent = isMessenger(persona)
      ? `Messenger · «${state.page ? state.page.name : state.bot.name}» Facebook хуудас · та «${persona.as}» нэрээр бичнэ`
      : persona.can_write
        ? `${state.bot.name} · та «${persona.as}» нэрээр бичнэ`
        : `${state.bot.name} · зөвхөн унших`;
    $("chat-avatar").replaceWith(Object.assign(avatarFor(persona, true), { id: "chat-avatar" }));
    $("composer-text").placeholder = isMessenger(persona) ? "Aa" : persona.chat_type === "private" ? "Мессеж бичих…" : `${persona.as} нэрээр группт бичих…`;
    $("start-btn").replaceChildren(...(isMessenger(persona) ? ["Эхлэх ", h("span", { lang: "en" }, "(Get Started)")] : ["ЭХЛЭХ ", h("span", { lang: "en" }, "(/start)")]));
    renderList();
    renderMessages({ scroll: "bottom" });
    renderReplyKeyboard();
    renderCommands();
    $("messages").scrollTop = $("messages").scrollHeight;
    await loadChat(key);
    if (state.current === persona) {
      renderMessages({ scroll: "bottom" });
      renderReplyKeyboard();
      renderCommands();
      $("messages").scrollTop = $("messages").scrollHeight;
      if (userAction && !MOBILE.matches && persona.can_write) $("composer-text").focus();
    }
  }

  async function loadChat(key) {
    // Events that arrive while the snapshot is on its way are replayed on top of it, in
    // order: the last change of each message wins, whichever came first.
    const chat = chatState(key);
    const token = {};
    chat.loadToken = token;
    chat.loading = true;
    chat.buffer = [];
    try {
      const data = await api(`/api/chats/${encodeURIComponent(key)}/messages`);
      if (chat.loadToken !== token) return; // a newer load took over
      chat.messages = new Map(data.messages.map((view) => [view.id, view]));
      chat.keyboard = data.reply_keyboard || null;
      chat.commands = data.commands || [];
      chat.menu = data.menu || [];
      chat.welcome = data.welcome || null;
      chat.phone = data.phone || "";
      for (const event of chat.buffer) applyMessageEvent(chat, event);
      chat.loaded = true;
    } catch (error) {
      if (chat.loadToken === token) showToast(`Чатыг ачаалж чадсангүй: ${error.message}`, { error: true });
    } finally {
      if (chat.loadToken === token) {
        chat.loading = false;
        chat.buffer = [];
      }
    }
  }

  function backToList() {
    $("app").dataset.view = "list";
    if (MOBILE.matches) {
      state.current = null;
      history.replaceState(null, "", window.location.pathname);
      renderList();
    }
  }

  // --- acting ---------------------------------------------------------------------------------

  async function sendText(text) {
    const persona = state.current;
    if (!persona || !persona.can_write) return;
    const trimmed = text.trim();
    if (!trimmed) return;
    try {
      const data = await api(`/api/chats/${encodeURIComponent(persona.key)}/send`, { text });
      upsert(persona.key, data.message);
      if (state.current === persona) renderMessages({ scroll: "bottom" });
      return true;
    } catch (error) {
      showToast(error.message, { error: true });
      return false;
    }
  }

  async function sendComposer() {
    const input = $("composer-text");
    const persona = state.current;
    if (!persona) return;
    const text = input.value;
    if (state.attachments.length && isMessenger(persona)) {
      // Messenger: the files in one message, then the text as a message of its own.
      const items = state.attachments.splice(0);
      renderAttachments();
      input.value = "";
      autoGrow();
      const form = new FormData();
      for (const item of items) form.append("file", item.file, item.file.name);
      try {
        const data = await api(`/api/chats/${encodeURIComponent(persona.key)}/upload`, form);
        upsert(persona.key, data.message);
        if (state.current === persona) renderMessages({ scroll: "bottom" });
      } catch (error) {
        showToast(error.message, { error: true });
      }
      if (text.trim()) await sendText(text);
      return;
    }
    if (state.attachments.length) {
      const items = state.attachments.splice(0);
      renderAttachments();
      input.value = "";
      autoGrow();
      for (const [index, item] of items.entries()) {
        const form = new FormData();
        form.append("file", item.file, item.file.name);
        form.append("as", item.as);
        if (index === 0 && text.trim()) form.append("caption", text);
        if (item.width) form.append("width", String(item.width));
        if (item.height) form.append("height", String(item.height));
        try {
          const data = await api(`/api/chats/${encodeURIComponent(persona.key)}/upload`, form);
          upsert(persona.key, data.message);
          if (state.current === persona) renderMessages({ scroll: "bottom" });
        } catch (error) {
          showToast(`${item.file.name}: ${error.message}`, { error: true });
        }
      }
      return;
    }
    if (!text.trim()) return;
    input.value = "";
    autoGrow();
    const ok = await sendText(text);
    if (!ok && !input.value) {
      input.value = text;
      autoGrow();
    }
  }

  async function pressButton(key, messageId, data, button) {
    button.classList.add("pending");
    try {
      const result = await api(`/api/chats/${encodeURIComponent(key)}/press`, { message_id: messageId, data });
      state.pending.set(result.query_id, button);
      setTimeout(() => {
        if (state.pending.get(result.query_id) === button) {
          state.pending.delete(result.query_id);
          button.classList.remove("pending");
        }
      }, 4000);
    } catch (error) {
      button.classList.remove("pending");
      showToast(error.message, { error: true });
    }
  }

  function askContact() {
    const dialog = $("contact-dialog");
    const input = $("contact-phone");
    input.value = state.demoPhone;
    dialog.returnValue = "";
    dialog.showModal();
    input.select();
  }

  async function shareContact(phone) {
    const persona = state.current;
    if (!persona) return;
    try {
      const data = await api(`/api/chats/${encodeURIComponent(persona.key)}/contact`, { phone });
      upsert(persona.key, data.message);
      renderMessages({ scroll: "bottom" });
    } catch (error) {
      showToast(error.message, { error: true });
    }
  }

  // --- toast and alert ------------------------------------------------------------------------

  let toastTimer = null;
  function showToast(text, { error = false, from = null } = {}) {
    const toast = $("toast");
    toast.replaceChildren(...(from ? [h("span", { class: "toast-from" }, from)] : []), text);
    toast.classList.toggle("error", error);
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, Math.min(8000, 2500 + text.length * 40));
  }

  function showAlert(title, text) {
    const dialog = $("alert-dialog");
    $("alert-title").textContent = title;
    $("alert-text").textContent = text;
    if (dialog.open) dialog.close();
    dialog.showModal();
  }

  // --- the "what just happened" panel --------------------------------------------------------

  const API_LABELS = { graph: "Graph API", webhook: "webhook → бот" };

  function callItem(call) {
    const time = new Date(call.at * 1000).toLocaleTimeString("mn-MN", { hour12: false });
    const poll = call.method.toLowerCase() === "getupdates";
    const api = call.api || "telegram";
    return h("li", { class: `call api-${api}${call.ok ? "" : " err"}${poll ? " poll" : ""}`, dataset: { at: String(call.at) } },
      h("div", { class: "call-top" },
        API_LABELS[api] ? h("span", { class: "call-api" }, API_LABELS[api]) : null,
        h("span", { class: "call-method" }, call.method),
        call.chat ? h("span", { class: "call-chat" }, `${api === "webhook" ? "←" : "→"} ${call.chat}`) : null,
        h("span", { class: "call-time" }, time)),
      call.summary ? h("div", { class: "call-summary" }, call.summary) : null,
      call.result ? h("div", { class: "call-result" }, `✓ ${call.result}`) : null,
      call.error ? h("div", { class: "call-error" }, `✗ ${call.error}`) : null);
  }

  function addCall(call) {
    // Two fakes report on their own: keep the panel in time order.
    let index = state.calls.length;
    while (index > 0 && state.calls[index - 1].at > call.at) index -= 1;
    state.calls.splice(index, 0, call);
    const list = $("log-list");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const item = callItem(call);
    if (index < list.children.length) list.insertBefore(item, list.children[index]);
    else list.append(item);
    while (state.calls.length > MAX_LOG) {
      state.calls.shift();
      list.firstElementChild.remove();
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
    $("log-count").textContent = String(state.calls.length);
  }

  async function loadCalls() {
    const data = await api("/api/calls");
    state.calls = [];
    $("log-list").replaceChildren();
    for (const call of data.calls) addCall(call);
  }

  function toggleLog(open) {
    const app = $("app");
    const next = open === undefined ? app.dataset.log !== "open" : open;
    app.dataset.log = next ? "open" : "closed";
    $("log-toggle").setAttribute("aria-expanded", String(next));
    if (next) {
      const list = $("log-list");
      list.scrollTop = list.scrollHeight;
    }
  }

  // --- events -------------------------------------------------------------------------------

  function upsert(key, view) {
    const chat = chatState(key);
    chat.messages.set(view.id, view);
    const persona = state.byKey.get(key);
    if (persona && (!persona.last || persona.last.id <= view.id)) persona.last = view;
  }

  function applyMessageEvent(chat, event) {
    if (event.change === "deleted") chat.messages.delete(event.id);
    else chat.messages.set(event.id, event.message);
    if (event.channel !== "messenger") chat.keyboard = event.reply_keyboard;
  }

  function onMessageEvent(event) {
    const persona = state.byKey.get(event.chat);
    if (!persona) return;
    const chat = chatState(event.chat);
    if (chat.loading) chat.buffer.push(event);
    applyMessageEvent(chat, event);
    if (event.change === "deleted") {
      if (persona.last && persona.last.id === event.id) {
        const rest = Array.from(chat.messages.values()).sort((a, b) => a.id - b.id);
        persona.last = rest.length ? rest[rest.length - 1] : null;
      }
    } else if (!persona.last || persona.last.id <= event.id) {
      persona.last = event.message;
    }
    if (event.change === "new" && !event.message.own && state.current !== persona) chat.unread += 1;
    renderList();
    if (state.current === persona) {
      renderMessages(event.change === "new" && event.message.own ? { scroll: "bottom" } : {});
      renderReplyKeyboard();
    }
  }

  function onAnswer(event) {
    const button = state.pending.get(event.query_id);
    if (button) {
      button.classList.remove("pending");
      state.pending.delete(event.query_id);
    }
    const persona = state.byKey.get(event.chat);
    const from = persona && state.current !== persona ? persona.title : null;
    if (event.text) {
      if (event.show_alert) showAlert(state.bot.name, event.text);
      else showToast(event.text, { from });
    }
    if (event.url) {
      const href = safeUrl(event.url);
      if (href) showToast(`Бот холбоос нээхийг хүслээ: ${href}`, { from });
    }
  }

  function connect() {
    const source = new EventSource("/api/events");
    source.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      switch (event.type) {
        case "hello":
          onConnected();
          break;
        case "message":
          onMessageEvent(event);
          break;
        case "answer":
          onAnswer(event);
          break;
        case "call":
          addCall(event.call);
          break;
        case "resync":
          resync();
          break;
        default:
          break;
      }
    });
    source.addEventListener("error", () => {
      state.connected = false;
      $("offline").hidden = false;
    });
  }

  let resolveHello = null;
  const hello = new Promise((resolve) => { resolveHello = resolve; });

  function onConnected() {
    if (resolveHello) {
      resolveHello();
      resolveHello = null;
    }
    const again = state.everConnected;
    state.connected = true;
    state.everConnected = true;
    $("offline").hidden = true;
    document.body.dataset.ready = "true";
    if (again) resync();
  }

  async function resync() {
    // Events may have been missed: reload everything shown.
    for (const chat of state.chats.values()) chat.loaded = false;
    await loadPersonas();
    renderList();
    await loadCalls();
    if (state.current) await openChat(state.current.key);
  }

  async function loadPersonas() {
    const data = await api("/api/personas");
    state.bot = data.bot;
    state.page = data.page || null;
    state.demoPhone = data.demo_phone || state.demoPhone;
    const current = state.current ? state.current.key : null;
    state.personas = data.personas;
    state.byKey = new Map(state.personas.map((p) => [p.key, p]));
    state.current = current ? state.byKey.get(current) || null : null;
    $("bot-name").textContent = data.bot.name;
    document.title = `${data.bot.name} — Туршилтын орчин`;
  }

  // --- wiring -------------------------------------------------------------------------------

  function autoGrow() {
    const input = $("composer-text");
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
  }

  function wire() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      sendComposer();
    });
    const input = $("composer-text");
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendComposer();
      }
    });
    input.addEventListener("input", autoGrow);
    $("attach").addEventListener("click", () => $("file-input").click());
    $("file-input").addEventListener("change", async (event) => {
      await addFiles(Array.from(event.target.files || []));
      event.target.value = "";
      input.focus();
    });
    $("commands-btn").addEventListener("click", (event) => {
      event.stopPropagation();
      const menu = $("commands-menu");
      menu.hidden = !menu.hidden;
      if (!menu.hidden && menu.firstElementChild) menu.firstElementChild.focus();
    });
    document.addEventListener("click", (event) => {
      const menu = $("commands-menu");
      if (!menu.hidden && !menu.contains(event.target)) menu.hidden = true;
    });
    $("kb-toggle").addEventListener("click", () => {
      if (!state.current) return;
      const chat = chatState(state.current.key);
      chat.kbHidden = !chat.kbHidden;
      renderReplyKeyboard();
    });
    $("start-btn").addEventListener("click", () => {
      if (isMessenger(state.current)) messengerAct(state.current, "get-started", {});
      else sendText("/start");
    });
    $("menu-btn").addEventListener("click", (event) => {
      event.stopPropagation();
      const menu = $("commands-menu");
      menu.hidden = !menu.hidden;
      const first = menu.querySelector("button, a");
      if (!menu.hidden && first) first.focus();
    });
    $("back").addEventListener("click", backToList);
    $("log-toggle").addEventListener("click", () => toggleLog());
    $("log-close").addEventListener("click", () => toggleLog(false));
    $("messages").addEventListener("scroll", onMessagesScroll, { passive: true });
    new ResizeObserver(() => {
      const box = $("messages");
      if (stickToBottom) box.scrollTop = box.scrollHeight;
    }).observe($("messages"));
    $("to-bottom").addEventListener("click", () => {
      const box = $("messages");
      box.scrollTop = box.scrollHeight;
    });
    $("contact-dialog").addEventListener("close", () => {
      const dialog = $("contact-dialog");
      if (dialog.returnValue === "share") shareContact($("contact-phone").value.trim());
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        $("commands-menu").hidden = true;
        if ($("app").dataset.log === "open") toggleLog(false);
      }
    });
    window.addEventListener("hashchange", () => {
      const key = window.location.hash.slice(1);
      if (key && state.byKey.has(key) && (!state.current || state.current.key !== key)) openChat(key);
    });
    document.addEventListener("visibilitychange", () => {
      const persona = state.current;
      if (!document.hidden && isMessenger(persona)) {
        markRead(persona, Array.from(chatState(persona.key).messages.values()).sort((a, b) => a.id - b.id));
      }
    });
    MOBILE.addEventListener("change", () => {
      if (!MOBILE.matches && !state.current && state.personas.length) openChat(state.personas[0].key);
    });
  }

  async function main() {
    wire();
    try {
      await loadPersonas();
    } catch (error) {
      showToast(`Сервертэй холбогдож чадсангүй: ${error.message}`, { error: true });
      return;
    }
    renderList();
    connect();
    // Subscribed before anything is loaded: no change can fall between a snapshot and the stream.
    await Promise.race([hello, new Promise((resolve) => setTimeout(resolve, 3000))]);
    loadCalls().catch(() => {});
    const wanted = window.location.hash.slice(1);
    if (wanted && state.byKey.has(wanted)) await openChat(wanted);
    else if (!MOBILE.matches && state.personas.length) await openChat(state.personas[0].key);
  }

  main();
})();
