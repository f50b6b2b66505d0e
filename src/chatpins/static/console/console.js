// The console's behaviour that htmx does not cover: times shown in the reader's zone, expiry
// countdowns, drag and drop reordering, and the app's live event stream.
"use strict";

(function () {
  const loadedAt = Date.now();

  function showTimes(root) {
    root.querySelectorAll("time[data-ms]").forEach((el) => {
      const at = new Date(Number(el.dataset.ms));
      el.dateTime = at.toISOString();
      el.textContent = at.toLocaleString();
    });
  }

  // The server renders `data-now` in the app's time (a test may move an app's clock): an
  // expiry's remaining time is the expiry less that, less what has passed since. A pin list
  // with an expired pin asks the server again (which no longer lists it).
  function tickExpiries() {
    document.querySelectorAll("[data-now]").forEach((holder) => {
      const appNow = Number(holder.dataset.now) + (Date.now() - Number(holder.dataset.renderedAt || loadedAt));
      let expired = false;
      holder.querySelectorAll(".expiry[data-expires-at]").forEach((el) => {
        const left = Math.ceil((Number(el.dataset.expiresAt) - appNow) / 1000);
        expired = expired || left <= 0;
        el.textContent = left <= 0 ? "expired" : "expires in " + formatSeconds(left);
      });
      if (expired && holder.id === "pins" && !holder.dataset.refreshing) {
        holder.dataset.refreshing = "1";
        htmx.trigger(holder, "refresh");
      }
    });
  }

  function formatSeconds(s) {
    if (s < 120) return s + " s";
    if (s < 7200) return Math.floor(s / 60) + " min";
    return Math.floor(s / 3600) + " h";
  }

  // Drag and drop: the list is reordered in place while dragging, then its order is sent once.
  let dragged = null;
  let orderBefore = "";

  function currentOrder(list) {
    return Array.from(list.querySelectorAll("li.pin")).map((li) => li.dataset.messageId);
  }

  function sendOrder(list) {
    const order = currentOrder(list);
    if (order.join("\n") === orderBefore) return;
    orderBefore = order.join("\n");
    const form = document.getElementById("order-form");
    form.querySelectorAll("input[name=message_ids]").forEach((el) => el.remove());
    order.forEach((id) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "message_ids";
      input.value = id;
      form.appendChild(input);
    });
    htmx.trigger(form, "submit");
  }

  document.addEventListener("dragstart", (e) => {
    const li = e.target.closest && e.target.closest("li.pin");
    if (!li) return;
    dragged = li;
    orderBefore = currentOrder(li.parentElement).join("\n");
    li.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", li.dataset.messageId);
  });

  document.addEventListener("dragover", (e) => {
    if (!dragged) return;
    const over = e.target.closest && e.target.closest("li.pin");
    if (!over || over.parentElement !== dragged.parentElement) return;
    e.preventDefault();
    if (over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    over.parentElement.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", (e) => {
    if (!dragged) return;
    e.preventDefault();
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const list = dragged.parentElement;
    dragged.classList.remove("dragging");
    dragged = null;
    sendOrder(list);
  });

  // The app's events, live: the page's session cookie opens the stream (same origin only).
  function openStream() {
    const log = document.getElementById("events");
    if (!log) return;
    const state = document.getElementById("stream-state");
    const filter = document.getElementById("event-filter");
    const chatFilter = document.getElementById("chat-filter");
    // A chat's page follows that chat; the app's events page follows every chat.
    const onlyChat = log.dataset.chat ? "chat:" + log.dataset.chat : null;
    let after = null;
    let retry = 500;
    let pending = null;

    function setState(text) {
      state.dataset.state = text;
      state.textContent = text;
    }

    // Bursts of events refresh each part of the page once.
    const stale = new Set();
    function refresh(...ids) {
      ids.forEach((id) => stale.add(id));
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        stale.forEach((id) => {
          const part = document.getElementById(id);
          if (part) htmx.trigger(part, "refresh");
        });
        stale.clear();
      }, 50);
    }

    function applyFilter() {
      const type = filter ? filter.value.trim() : "";
      const chat = chatFilter ? chatFilter.value.trim() : "";
      log.querySelectorAll("li").forEach((li) => {
        li.hidden = (type !== "" && !li.dataset.type.startsWith(type)) || (chat !== "" && li.dataset.chat !== chat);
      });
    }
    if (filter) filter.addEventListener("input", applyFilter);
    if (chatFilter) chatFilter.addEventListener("input", applyFilter);

    function connect() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      let url = scheme + "//" + location.host + "/v1/events/ws?app_id=" + encodeURIComponent(log.dataset.app);
      if (after !== null) url += "&after=" + after;
      const socket = new WebSocket(url);
      socket.addEventListener("message", (message) => {
        const frame = JSON.parse(message.data);
        if (frame.type === "hello") {
          setState("live");
          retry = 500;
          if (after !== null) refresh("pins", "messages", "history", "conversations");
          return;
        }
        if (frame.type !== "event") return;
        const event = frame.event;
        after = event.seq;
        // A user's page shows the user's conversation list: any conversation change may move it.
        if (log.dataset.user !== undefined) {
          if (event.type === "conversation.changed") refresh("conversations");
          return;
        }
        if (onlyChat !== null && event.audience !== onlyChat) return;
        const li = document.createElement("li");
        li.dataset.type = event.type;
        li.dataset.chat = event.payload.chat_id || "";
        const when = new Date(event.created_at_ms).toLocaleTimeString();
        const subject = [event.payload.chat_id, event.payload.message_id, event.payload.user_id].filter(Boolean).join("  ");
        li.textContent = when + "  #" + event.seq + "  " + event.type + "  " + subject;
        log.prepend(li);
        while (log.children.length > 200) log.lastElementChild.remove();
        applyFilter();
        if (onlyChat === null) return;
        if (event.type.startsWith("pin.")) refresh("pins", "history");
        if (event.type.startsWith("message.")) refresh("messages", "pins");
        if (event.type === "chat.dissolved") document.getElementById("chat-gone").hidden = false;
      });
      socket.addEventListener("close", (closed) => {
        if (closed.code === 4401) {
          setState("signed out");
          return;
        }
        setState("reconnecting…");
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10000);
      });
    }
    connect();
  }

  // Copy buttons: `data-copy` names the element whose text is copied (a credential, a snippet).
  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("button[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      button.dataset.copied = "1";
      button.textContent = "Copied";
      setTimeout(() => {
        delete button.dataset.copied;
        button.textContent = "Copy";
      }, 1500);
    });
  });

  // A live refresh does not replace a part while the reader has one of its edit forms open:
  // it would close the form and lose what was typed. The part is marked stale and refreshed
  // once its forms are closed; sending a form replaces the part anyway.
  document.addEventListener("htmx:beforeSwap", (e) => {
    const cause = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    const part = e.detail.target;
    if (cause && cause.type === "refresh" && part && part.querySelector("details[open]")) {
      e.detail.shouldSwap = false;
      part.dataset.stale = "1";
    }
  });
  document.addEventListener(
    "toggle",
    (e) => {
      const details = e.target;
      if (!(details instanceof HTMLDetailsElement) || details.open) return;
      const part = details.closest("[data-stale]");
      if (part && !part.querySelector("details[open]")) {
        delete part.dataset.stale;
        htmx.trigger(part, "refresh");
      }
    },
    true, // toggle does not bubble
  );

  document.addEventListener("htmx:afterSwap", () => {
    showTimes(document);
    const pins = document.getElementById("pins");
    if (pins) pins.dataset.renderedAt = String(Date.now());
  });

  document.addEventListener("DOMContentLoaded", () => {
    showTimes(document);
    openStream();
    tickExpiries();
    setInterval(tickExpiries, 250);
  });
})();
