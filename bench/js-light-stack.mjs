// The identify step as many apps write it: zod for the standard fields,
// `z.any()` for preferences and channel data (whatever the client sends),
// libphonenumber-js for the phone, lodash.merge for the merge. Lighter than
// bench/js-stack.mjs (no preference or channel schema, no time-zone or
// locale tables) and less exact; the second anchor of bench/package.mjs.
import { z } from "zod";
import { isValidPhoneNumber } from "libphonenumber-js";
import lodashMerge from "lodash.merge";

const body = z.looseObject({
  avatar: z.url().nullish(),
  created_at: z.iso.datetime({ offset: true }).nullish(),
  email: z.email().nullish(),
  locale: z.string().nullish(),
  name: z.string().nullish(),
  phone_number: z.string().refine((phone) => isValidPhoneNumber(phone), "invalid phone number").nullish(),
  timezone: z.string().nullish(),
  preferences: z.record(z.string(), z.any()).nullish(),
  channel_data: z.record(z.string(), z.any()).nullish(),
  id: z.string().nullish(),
});
const STANDARD = ["avatar", "created_at", "email", "locale", "name", "phone_number", "timezone"];

/** Validates `request` and merges it into `stored` (a new record), or throws. */
export function identify(stored, userId, request, now) {
  const parsed = body.safeParse(request);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join("; "));
  const { preferences, channel_data, id: _id, ...fields } = parsed.data;
  const record = lodashMerge({}, stored ?? { user: { __typename: "User", id: userId }, preferences: {}, channel_data: {} });
  for (const key of STANDARD) record.user[key] ??= null;
  lodashMerge(record.user, fields, { updated_at: new Date(now).toISOString() });
  if (preferences) lodashMerge(record.preferences, preferences);
  if (channel_data) Object.assign(record.channel_data, channel_data);
  return record;
}
