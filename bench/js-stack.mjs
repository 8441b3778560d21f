// The identify step as a JS developer would write it without this package:
// zod 4 for the schema, libphonenumber-js for the phone, Intl for zones and
// locales, lodash.merge for the merge. Used by bench/package.mjs.
import { z } from "zod";
import { isValidPhoneNumber } from "libphonenumber-js";
import lodashMerge from "lodash.merge";

const zones = new Set(Intl.supportedValuesOf("timeZone"));
const nullable = (schema) => schema.nullable().optional();
const locale = z.string().refine((tag) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}, "expected a BCP 47 language tag");
const conditions = z.array(z.object({ variable: z.string(), operator: z.string(), argument: z.string().optional() }));
const channelSetting = z.union([z.boolean(), z.object({ conditions: conditions.nullable().optional() })]);
const channelTypes = z
  .object({ chat: channelSetting, email: channelSetting, http: channelSetting, in_app_feed: channelSetting, push: channelSetting, sms: channelSetting })
  .partial()
  .strict();
const preferenceSet = z
  .object({
    workflows: z.record(z.string(), z.union([z.boolean(), z.object({ channel_types: channelTypes.optional(), conditions: conditions.optional() })])).nullable(),
    categories: z.record(z.string(), z.union([z.boolean(), z.object({ channel_types: channelTypes.optional(), conditions: conditions.optional() })])).nullable(),
    channel_types: channelTypes.nullable(),
    channels: z.record(z.string(), z.unknown()).nullable(),
    commercial_subscribed: z.boolean().nullable(),
    __persistence_strategy__: z.enum(["merge", "replace"]),
  })
  .partial()
  .strict();
const channelData = z.union([
  z.object({ tokens: z.array(z.string()) }).loose(),
  z.object({ devices: z.array(z.object({ token: z.string() }).loose()) }).loose(),
  z.object({ target_arns: z.array(z.string()) }).loose(),
  z.object({ player_ids: z.array(z.string()) }).loose(),
  z.object({ connections: z.array(z.record(z.string(), z.unknown())) }).loose(),
]);
const body = z
  .looseObject({
    avatar: nullable(z.url({ protocol: /^https?$/ }).max(2048)),
    created_at: nullable(z.iso.datetime({ offset: true })),
    email: nullable(z.email().max(254)),
    locale: nullable(locale),
    name: nullable(z.string().max(1024)),
    phone_number: nullable(
      z.string().regex(/^\+[1-9]\d{6,14}$/, "expected E.164").refine((phone) => isValidPhoneNumber(phone), "unknown number"),
    ),
    timezone: nullable(z.string().refine((zone) => zones.has(zone), "unknown time zone")),
    channel_data: nullable(z.record(z.uuid(), channelData.nullable())),
    preferences: nullable(z.record(z.string(), preferenceSet.nullable())),
    id: nullable(z.string()),
    __typename: z.never().optional(),
    updated_at: z.never().optional(),
  });
/** The request's schema alone (bench/reference-worker/identify.js answers its issues). */
export { body as requestSchema };
const STANDARD = ["avatar", "created_at", "email", "locale", "name", "phone_number", "timezone"];

/** Validates `request` and merges it into `stored` (a new record), or throws. */
export function identify(stored, userId, request, now) {
  const parsed = body.safeParse(request);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join("; "));
  const { channel_data, preferences, id: _id, ...rest } = parsed.data;
  const record = lodashMerge({}, stored ?? { user: { __typename: "User", id: userId }, preferences: {}, channel_data: {} });
  const user = record.user;
  for (const key of STANDARD) user[key] = key in rest ? rest[key] : (user[key] ?? null);
  const custom = Object.fromEntries(Object.entries(rest).filter(([key]) => !STANDARD.includes(key)));
  lodashMerge(user, custom);
  user.updated_at = new Date(now).toISOString();
  for (const [setId, set] of Object.entries(preferences ?? {})) {
    if (!set) continue;
    const { __persistence_strategy__: strategy, ...values } = set;
    record.preferences[setId] = strategy === "replace" ? values : lodashMerge(record.preferences[setId] ?? {}, values);
  }
  for (const [channelId, data] of Object.entries(channel_data ?? {})) {
    if (data === null) delete record.channel_data[channelId];
    else record.channel_data[channelId] = data;
  }
  return record;
}
