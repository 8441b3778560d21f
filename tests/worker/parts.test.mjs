// A user's channel data and preference sets, one at a time (contract §5a),
// under real workerd: Knock's Node SDK calls them unchanged; every write
// is an identify through the user's object (KV holds the result); bad
// inputs get the problems at the route's own fields.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { NotFoundError, UnprocessableEntityError } from "@knocklabs/node";
import { send, startWithKnock, waitFor } from "./helpers.mjs";

const CHANNEL = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
let server;
let knock;
before(async () => ({ server, knock } = await startWithKnock()));
after(() => server?.stop());

const channelPath = (user, channel = CHANNEL) => `/v1/users/${user}/channel_data/${channel}`;
const setPath = (user, set = "default") => `/v1/users/${user}/preferences/${set}`;

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body.code, code, answer.text);
}

test("users.setChannelData / getChannelData / unsetChannelData, through Knock's SDK", async () => {
  const id = "sdk-channels-1";
  const set = await knock.users.setChannelData(id, CHANNEL, { data: { tokens: ["push_token_1"] } });
  assert.deepEqual(set, { __typename: "ChannelData", channel_id: CHANNEL, data: { tokens: ["push_token_1"] } });
  // The user was created by it, and identify keeps the channel.
  assert.equal((await knock.users.get(id)).id, id);
  await knock.users.update(id, { name: "Jane" });
  assert.deepEqual(await knock.users.getChannelData(id, CHANNEL), set);
  // A second set replaces the channel's data whole.
  const replaced = await knock.users.setChannelData(id, CHANNEL, { data: { tokens: ["push_token_2"] } });
  assert.deepEqual(replaced.data, { tokens: ["push_token_2"] });
  await knock.users.unsetChannelData(id, CHANNEL);
  await assert.rejects(knock.users.getChannelData(id, CHANNEL), NotFoundError);
  // KV's record holds what the object holds.
  const kv = await server.kv();
  await waitFor(async () => {
    const record = JSON.parse(await kv.get(`env-a/users/${id}`));
    return record?.user.name === "Jane" && JSON.stringify(record.channel_data) === "{}";
  }, "KV's record without the channel");
});

test("users.setPreferences / getPreferences, through Knock's SDK: a set replaces the stored one unless it says merge", async () => {
  const id = "sdk-prefs-1";
  await knock.users.update(id, { name: "Jane" });
  const empty = await knock.users.getPreferences(id, "default");
  assert.deepEqual(empty, { __typename: "PreferenceSet", id: "default", categories: null, channel_types: null, workflows: null });
  const first = await knock.users.setPreferences(id, "default", { channel_types: { email: false }, workflows: { welcome: true } });
  assert.deepEqual(first, { __typename: "PreferenceSet", id: "default", categories: null, channel_types: { email: false }, workflows: { welcome: true } });
  const replaced = await knock.users.setPreferences(id, "default", { channel_types: { sms: true } });
  assert.deepEqual(replaced.workflows, null, "replaced: the workflows are gone");
  const merged = await knock.users.setPreferences(id, "default", { __persistence_strategy__: "merge", categories: { promo: false } });
  assert.deepEqual(merged, { __typename: "PreferenceSet", id: "default", categories: { promo: false }, channel_types: { sms: true }, workflows: null });
  assert.deepEqual(await knock.users.getPreferences(id, "default"), merged);
  // Identify sees the same set.
  await knock.users.update(id, { preferences: { default: { commercial_subscribed: true } } });
  assert.equal((await knock.users.getPreferences(id, "default")).commercial_subscribed, true);
});

test("reads of an unknown user are 404; unsetting a channel of one is a 204 that creates nothing", async () => {
  await assert.rejects(knock.users.getChannelData("nobody-1", CHANNEL), NotFoundError);
  await assert.rejects(knock.users.getPreferences("nobody-1", "default"), NotFoundError);
  assert.equal((await send(server.url, "DELETE", null, { path: channelPath("nobody-1") })).status, 204);
  assertError(await send(server.url, "GET", "nobody-1"), 404, "resource_missing");
});

test("bad inputs: the problems at the route's own fields, and nothing written", async () => {
  const id = "bad-parts-1";
  const put = (path, body) => send(server.url, "PUT", null, { path, body: typeof body === "string" ? body : JSON.stringify(body) });
  const cases = [
    [channelPath(id, "not-a-uuid"), { data: { tokens: ["a"] } }, [["channel_id", "format"]]],
    [channelPath(id), { data: ["a"] }, [["data", "type"]]],
    [channelPath(id), { data: { tokens: ["a", 5] } }, [["data.tokens.1", "type"]]],
    [channelPath(id), { tokens: ["a"] }, [["data", "type"]]],
    [setPath(id), { channel_types: { fax: true } }, [["channel_types.fax", "unknown_value"]]],
    [setPath(id), [], [["", "type"]]],
  ];
  for (const [path, body, expected] of cases) {
    const answer = await put(path, body);
    assertError(answer, 422, "invalid_params");
    assert.deepEqual(answer.body.errors.map((problem) => [problem.field, problem.type]), expected, `${path} ${JSON.stringify(body)}`);
  }
  await assert.rejects(
    knock.users.setChannelData(id, CHANNEL, { data: { nothing: 1 } }),
    (error) => error instanceof UnprocessableEntityError && error.error.errors[0].field === "data",
  );
  // Reads check their ids as the writes do.
  for (const [path, field] of [[channelPath(id, "not-a-uuid"), "channel_id"], [setPath(id, "k".repeat(257)), "id"]]) {
    const answer = await send(server.url, "GET", null, { path });
    assertError(answer, 422, "invalid_params");
    assert.deepEqual(answer.body.errors.map((problem) => problem.field), [field], path);
  }
  assertError(await put(channelPath(id), "{"), 400, "invalid_json");
  assertError(await put(setPath(id), `{"pad": "${"x".repeat(1024 * 1024)}"}`), 413, "request_too_large");
  assertError(await send(server.url, "GET", id), 404, "resource_missing");
});

test("methods, keys and the routes around: 405 with Allow, 401 without a key, 404 past the routes", async () => {
  const deleteSet = await send(server.url, "DELETE", null, { path: setPath("any-1") });
  assertError(deleteSet, 405, "method_not_allowed");
  assert.equal(deleteSet.headers.get("allow"), "GET, PUT");
  const postChannel = await send(server.url, "POST", null, { path: channelPath("any-1"), body: "{}" });
  assertError(postChannel, 405, "method_not_allowed");
  assert.equal(postChannel.headers.get("allow"), "GET, PUT, DELETE");
  assertError(await send(server.url, "GET", null, { path: channelPath("any-1"), key: null }), 401, "api_key_missing");
  for (const path of ["/v1/users/a/channel_data/", "/v1/users/a/preferences/default/x", "/v1/users/a/feeds/x"]) {
    assertError(await send(server.url, "GET", null, { path }), 404, "resource_missing");
  }
});
