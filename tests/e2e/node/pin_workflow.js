// Drives a live chatpins server with the official Feishu/Lark Node SDK, as a user of the
// vendor would. Reads BASE_URL, APP_ID, APP_SECRET, USER_TOKEN, USER_OPEN_ID from the
// environment; exits non-zero (with the failing step) on any deviation.
"use strict";
const assert = require("node:assert/strict");
const lark = require("@larksuiteoapi/node-sdk");

const { BASE_URL, APP_ID, APP_SECRET, USER_TOKEN, USER_OPEN_ID } = process.env;

function client(secret = APP_SECRET) {
  return new lark.Client({
    appId: APP_ID,
    appSecret: secret,
    domain: BASE_URL,
    appType: lark.AppType.SelfBuild,
    loggerLevel: lark.LoggerLevel.error,
  });
}

// Business errors reject with an AxiosError; the Feishu body is in err.response.data.
async function expectCode(promise, code, status = 400) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.response?.status, status, `HTTP status for ${code}`);
    assert.equal(err.response?.data?.code, code);
    return err.response.data;
  }
  assert.fail(`expected code ${code}, got success`);
}

const steps = [];
async function step(name, fn) {
  try {
    await fn();
    steps.push(name);
  } catch (err) {
    console.error(`step failed: ${name}\n${err.stack || err}`);
    process.exit(1);
  }
}

(async () => {
  const c = client();
  let chatId, messageId, pin;

  await step("create a chat owned by the user, with the bot in it", async () => {
    const res = await c.im.v1.chat.create({
      params: { user_id_type: "open_id", set_bot_manager: true },
      data: { name: "node sdk", owner_id: USER_OPEN_ID, user_id_list: [USER_OPEN_ID] },
    });
    assert.equal(res.code, 0);
    chatId = res.data.chat_id;
    assert.match(chatId, /^oc_[0-9a-f]{32}$/);
  });

  await step("send a text message", async () => {
    const res = await c.im.v1.message.create({
      params: { receive_id_type: "chat_id" },
      data: { receive_id: chatId, msg_type: "text", content: JSON.stringify({ text: "hi" }) },
    });
    assert.equal(res.code, 0);
    messageId = res.data.message_id;
    assert.equal(typeof res.data.create_time, "string");
  });

  await step("pin it as the app", async () => {
    const res = await c.im.v1.pin.create({ data: { message_id: messageId } });
    assert.equal(res.code, 0);
    pin = res.data.pin;
    assert.equal(pin.operator_id, APP_ID);
    assert.equal(pin.operator_id_type, "app_id");
    assert.match(pin.create_time, /^\d{13}$/);
  });

  await step("re-pin returns the existing pin unchanged", async () => {
    const res = await c.im.v1.pin.create({ data: { message_id: messageId } });
    assert.deepEqual(res.data.pin, pin);
  });

  await step("GET with the SDK's {} body lists the pin", async () => {
    const res = await c.im.v1.pin.list({ params: { chat_id: chatId, page_size: 20 } });
    assert.equal(res.code, 0);
    assert.equal(res.data.has_more, false);
    assert.deepEqual(res.data.items, [pin]);
  });

  await step("listWithIterator pages through several pins and stops", async () => {
    for (let i = 0; i < 3; i++) {
      const sent = await c.im.v1.message.create({
        params: { receive_id_type: "chat_id" },
        data: { receive_id: chatId, msg_type: "text", content: JSON.stringify({ text: `m${i}` }) },
      });
      await c.im.v1.pin.create({ data: { message_id: sent.data.message_id } });
      await new Promise((r) => setTimeout(r, 250)); // the 5-per-second group send limit
    }
    const seen = [];
    for await (const page of await c.im.v1.pin.listWithIterator({
      params: { chat_id: chatId, page_size: 1 },
    })) {
      seen.push(...(page?.items ?? []));
    }
    assert.equal(seen.length, 4);
    const times = seen.map((p) => Number(p.create_time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });

  await step("unknown message: AxiosError 400 with code 230001", async () => {
    await expectCode(c.im.v1.pin.create({ data: { message_id: "om_" + "0".repeat(32) } }), 230001);
  });

  await step("a kept-alive socket still works after 6 s idle", async () => {
    await new Promise((r) => setTimeout(r, 6000));
    const res = await c.im.v1.pin.list({ params: { chat_id: chatId } });
    assert.equal(res.code, 0);
  });

  await step("pin and unpin as the user with withUserAccessToken", async () => {
    const sent = await c.im.v1.message.create({
      params: { receive_id_type: "chat_id" },
      data: { receive_id: chatId, msg_type: "text", content: JSON.stringify({ text: "u" }) },
    });
    const id = sent.data.message_id;
    const res = await c.im.v1.pin.create({ data: { message_id: id } }, lark.withUserAccessToken(USER_TOKEN));
    assert.equal(res.data.pin.operator_id, USER_OPEN_ID);
    assert.equal(res.data.pin.operator_id_type, "open_id");
    const gone = await c.im.v1.pin.delete({ path: { message_id: id } }, lark.withUserAccessToken(USER_TOKEN));
    assert.equal(gone.code, 0);
  });

  await step("recall, then pin: 230011", async () => {
    const res = await c.im.v1.message.delete({ path: { message_id: messageId } });
    assert.equal(res.code, 0);
    await expectCode(c.im.v1.pin.create({ data: { message_id: messageId } }), 230011);
  });

  await step("dissolve as the owner, then pin: 232009", async () => {
    const sent = await c.im.v1.message.create({
      params: { receive_id_type: "chat_id" },
      data: { receive_id: chatId, msg_type: "text", content: JSON.stringify({ text: "last" }) },
    });
    const res = await c.im.v1.chat.delete({ path: { chat_id: chatId } }, lark.withUserAccessToken(USER_TOKEN));
    assert.equal(res.code, 0);
    await expectCode(c.im.v1.pin.create({ data: { message_id: sent.data.message_id } }), 232009);
  });

  await step("a wrong secret: the token fetch fails with 10014", async () => {
    const bad = new lark.Client({
      appId: APP_ID,
      appSecret: "wrong",
      domain: BASE_URL,
      appType: lark.AppType.SelfBuild,
      loggerLevel: lark.LoggerLevel.error,
      // Its own token cache: the shared one holds the good client's token for this app id.
      cache: {
        store: new Map(),
        async set(key, value) { this.store.set(key, value); return true; },
        async get(key) { return this.store.get(key); },
      },
    });
    await assert.rejects(bad.im.v1.pin.list({ params: { chat_id: chatId } }), /10014/);
  });

  console.log(JSON.stringify({ ok: true, steps }));
})();
