// Growth mini-program API 1.0.0: TypeScript types generated from the OpenAPI schema (/api/schema/).
// Do not edit: run `make types` (scripts/api_types.py); a test fails when this file is stale.

export interface ApiIndexOutput {
  name: string;
  version: string;
  /**
   * Swagger UI, served without internet access.
   * @format uri
   */
  docs: string;
  /**
   * The OpenAPI 3 schema.
   * @format uri
   */
  schema: string;
  /** The first segment of every path under /api/ (`me`, `points`, ...). */
  groups: string[];
}

export interface AssistCampaignOutput {
  id: number;
  title: string;
  /** assist or bargain */
  kind: string;
  /** What completing an assist grants; a bargain's product. */
  reward: AssistRewardOutput;
  /** Helpers needed. */
  required: number;
  expires_in_hours: number;
  /** Bargain: the lowest price helps can reach. */
  floor_price: number;
}

export interface AssistProductOutput {
  id: number;
  name: string;
  kind: string;
  image_url: string;
  /** The product's ordinary price in points. */
  price: number;
}

export interface AssistRewardOutput {
  /** points or product */
  kind: string;
  /** Points granted (0 when the reward is a product). */
  points: number;
  product: AssistProductOutput | null;
}

export interface AssistTaskOutput {
  id: number;
  campaign: number;
  title: string;
  kind: string;
  /** open, completed, redeemed or expired */
  status: string;
  /** Nicknames, in help order. */
  helpers: string[];
  /** Helpers counted (a new user may count two). */
  progress: number;
  required: number;
  /** @format date-time */
  expires_at: string;
  reward: AssistRewardOutput;
  /** Bargain: the price before any help. */
  start_price: number;
  /** Bargain: the price now. */
  current_price: number;
  floor_price: number;
  /** Whether the caller started this task. */
  mine: boolean;
  /** Whether the caller has helped this task. */
  helped: boolean;
  /** The reward or bargain order (starter only). */
  order: number | null;
  /** The share scene: a=<id>. */
  scene: string;
}

export interface AssistTaskPageOutput {
  count: number;
  /** @format uri */
  next: string | null;
  /** @format uri */
  previous: string | null;
  results: AssistTaskOutput[];
}

export interface AvatarInputRequest {
  file: ArrayBuffer;
}

export interface BargainRedeemInputRequest {
  address?: string;
  store?: number | null;
}

export type BlankEnum = "";

export interface ChallengeBoardMeOutput {
  rank: number | null;
  score: number | null;
}

export interface ChallengeBoardRowOutput {
  rank: number;
  user: ChallengeBoardUserOutput;
  /** Winnings: points. Streak: days. Early: seconds after the window opened. */
  score: number;
  /**
   * Early board only.
   * @format date-time
   */
  checked_in_at?: string;
}

export interface ChallengeBoardUserOutput {
  id: number;
  nickname: string;
  avatar_url: string;
}

export interface ChallengeCheckinInputRequest {
  note?: string;
  image_url?: string;
}

export interface ChallengeCheckinOutput {
  id: number;
  /** @format date */
  date: string;
  /** @format date-time */
  checked_in_at: string;
  makeup: boolean;
  note: string;
  image_url: string;
}

export interface ChallengeCurrentRoundOutput {
  /** Null until the first participant joins. */
  id: number | null;
  /** @format date */
  start_date: string;
  /** @format date */
  end_date: string;
  /** Stakes plus the operator's bonus (and any rolled-over points). */
  pool: number;
  participants: number;
  /** @format date-time */
  enroll_closes_at: string;
}

export interface ChallengeDetailOutput {
  id: number;
  title: string;
  cover_url: string;
  kind: string;
  /**
   * `visit`: checked in at the store's desk by a scan of the member code, not in the app.
   *
   * * `app` - in the app (the member taps check-in)
   * * `visit` - a visit verified by store staff (到店打卡)
   */
  checkin_by: CheckinByEnum;
  timezone: string;
  /** @pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
  day_cutoff: string;
  /** @pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
  window_start: string;
  /** @pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
  window_end: string;
  stake_min: number;
  stake_max: number;
  bonus: number;
  max_participants: number;
  split_rule: string;
  no_winner_rule: string;
  duration_days: number;
  required_days: number;
  makeup_limit: number;
  makeup_cost: number;
  current_round: ChallengeCurrentRoundOutput | null;
  my_entry: ChallengeEntryOutput | null;
  today: ChallengeTodayOutput;
  rules_text: string;
}

export interface ChallengeEntryOutput {
  id: number;
  round: number;
  stake: number;
  checkins: number;
  makeups_used: number;
  status: string;
  /** Paid points once settled, else null. */
  payout: number | null;
  /** @format date */
  start_date: string;
  /** @format date */
  end_date: string;
}

export interface ChallengeJoinInputRequest {
  /**
   * Points to stake.
   * @format int64
   */
  stake: number;
}

export interface ChallengeLeaderboardOutput {
  board: string;
  /**
   * Early board: the business day shown.
   * @format date
   */
  date: string | null;
  entries: ChallengeBoardRowOutput[];
  me: ChallengeBoardMeOutput;
}

export interface ChallengeMakeupInputRequest {
  /**
   * The missed business day, YYYY-MM-DD.
   * @format date
   */
  date: string;
}

export interface ChallengeOutput {
  id: number;
  title: string;
  cover_url: string;
  kind: string;
  /**
   * `visit`: checked in at the store's desk by a scan of the member code, not in the app.
   *
   * * `app` - in the app (the member taps check-in)
   * * `visit` - a visit verified by store staff (到店打卡)
   */
  checkin_by: CheckinByEnum;
  timezone: string;
  /** @pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
  day_cutoff: string;
  /** @pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
  window_start: string;
  /** @pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$ */
  window_end: string;
  stake_min: number;
  stake_max: number;
  bonus: number;
  max_participants: number;
  split_rule: string;
  no_winner_rule: string;
  duration_days: number;
  required_days: number;
  makeup_limit: number;
  makeup_cost: number;
  current_round: ChallengeCurrentRoundOutput | null;
  my_entry: ChallengeEntryOutput | null;
  today: ChallengeTodayOutput;
}

export interface ChallengeRoundReportOutput {
  id: number;
  /** @format date */
  start_date: string;
  /** @format date */
  end_date: string;
  status: string;
  outcome: string;
  pool: number;
  participants: number;
  winners: number;
  winners_stake: number;
  paid_total: number;
  rollover_total: number;
  /** @format date-time */
  settled_at: string | null;
  my_stake: number | null;
  my_status: string | null;
  my_payout: number | null;
}

export interface ChallengeSubscribeInputRequest {
  /** A template the user accepted in wx.requestSubscribeMessage. */
  template_id: string;
}

export interface ChallengeSubscribeOutput {
  template_id: string;
  credits: number;
}

export interface ChallengeTodayOutput {
  /** @format date */
  date: string;
  /** @format date-time */
  window_opens_at: string;
  /** @format date-time */
  window_closes_at: string;
  window_open: boolean;
  entry: ChallengeEntryOutput | null;
  checked_in: boolean;
}

/**
 * * `app` - in the app (the member taps check-in)
 * * `visit` - a visit verified by store staff (到店打卡)
 */
export type CheckinByEnum = "app" | "visit";

export interface CouponOutput {
  code: string;
  product: string;
  product_id: number;
  order: number;
  /** unused, used, expired or cancelled */
  status: string;
  /** @format date-time */
  expires_at: string;
  /** @format date-time */
  used_at: string | null;
  /** A PNG QR of the code, as a data URL. */
  qr: string;
}

export interface CouponPageOutput {
  count: number;
  /** @format uri */
  next: string | null;
  /** @format uri */
  previous: string | null;
  results: CouponOutput[];
}

export interface CouponVerifyInputRequest {
  code: string;
  store?: number | null;
}

export interface CouponVerifyOutput {
  code: string;
  product: string;
  /** unused, used, expired or cancelled */
  status: string;
  /** @format date-time */
  used_at: string | null;
  store?: string | null;
  user: string;
}

export interface DrawPrizeOutput {
  id: number;
  name: string;
  /** points, product or none */
  kind: string;
}

export interface ApiError {
  /** A machine code, a snake_case fact such as `out_of_stock`. */
  code: string;
  /** A human explanation, in the request's language. */
  detail: string;
  /** Per-field messages of a validation error (`invalid`). */
  fields?: Record<string, unknown>;
}

export interface ExportAssistOutput {
  id: number;
  campaign: string;
  kind: string;
  status: string;
  progress: number;
  required: number;
  /** @format date-time */
  created_at: string;
}

export interface ExportChallengeEntryOutput {
  id: number;
  challenge: string;
  /** @format date */
  round_start: string;
  /** @format date */
  round_end: string;
  stake: number;
  status: string;
  checkins: number;
  payout: number | null;
  /** @format date-time */
  joined_at: string;
}

export interface ExportCheckinOutput {
  id: number;
  challenge: string;
  /** @format date */
  date: string;
  /** @format date-time */
  checked_in_at: string;
  makeup: boolean;
  note: string;
  image_url: string;
}

export interface ExportGroupBuyOutput {
  group: number;
  product: string;
  price: number;
  status: string;
  /** @format date-time */
  joined_at: string;
}

export interface ExportInvitedByOutput {
  nickname: string;
  /** @format date-time */
  bound_at: string;
}

export interface ExportInviteeOutput {
  nickname: string;
  status: string;
  /** @format date-time */
  joined_at: string;
}

export interface ExportOrderOutput {
  id: number;
  product: string;
  quantity: number;
  points: number;
  status: string;
  address: string;
  /** @format date-time */
  created_at: string;
  /** @format date-time */
  cancelled_at: string | null;
  vouchers: ExportVoucherOutput[];
}

export interface ExportPointsEntryOutput {
  id: number;
  amount: number;
  kind: string;
  memo: string;
  balance_after: number;
  /** @format date-time */
  created_at: string;
}

export interface ExportProfileOutput {
  id: number;
  nickname: string;
  avatar_url: string;
  /** The verified phone number, or empty. */
  phone: string;
  phone_verified: boolean;
  /** @format date-time */
  date_joined: string;
  points: number;
  growth: number;
  level: string | null;
  referral_code: string;
  /** The channel the member arrived through. */
  channel: string | null;
  /** @format date */
  birthday: string | null;
  /** male, female, or empty when not given. */
  gender: string;
  city: string;
}

export interface ExportReferralsOutput {
  invited_by: ExportInvitedByOutput | null;
  /** Friends invited: nicknames only. */
  invitees: ExportInviteeOutput[];
  rewards: ExportRewardOutput[];
}

export interface ExportRewardOutput {
  rule: string;
  role: RoleEnum;
  points: number;
  clawed_back: number;
  status: string;
  /** @format date-time */
  created_at: string;
}

export interface ExportVoucherOutput {
  code: string;
  status: string;
  /** @format date-time */
  expires_at: string;
  /** @format date-time */
  used_at: string | null;
}

/**
 * * `once` - once
 * * `daily` - daily
 * * `weekly` - weekly
 * * `unlimited` - unlimited (daily cap)
 */
export type FrequencyEnum = "once" | "daily" | "weekly" | "unlimited";

/**
 * * `` -
 * * `male` - male
 * * `female` - female
 */
export type GenderEnum = "male" | "female";

export interface GroupBuyGroupOutput {
  id: number;
  status: string;
  /** Nicknames, in join order. */
  members: string[];
  group_size: number;
  /** @format date-time */
  expires_at: string;
  /** The share scene: g=<id>. */
  scene: string;
}

export interface GroupBuyOfferOutput {
  id: number;
  product: GroupBuyProductOutput;
  group_size: number;
  /** The group price in points. */
  price: number;
  expires_in_hours: number;
}

export interface GroupBuyProductOutput {
  id: number;
  name: string;
  kind: string;
  image_url: string;
  /** The product's ordinary price in points. */
  price: number;
}

export interface InvitedByOutput {
  id: number;
  nickname: string;
}

/**
 * * `physical` - physical goods
 * * `voucher` - in-store voucher
 * * `coupon` - coupon
 */
export type KindEnum = "physical" | "voucher" | "coupon";

/**
 * * `product` - mall product
 * * `challenge` - challenge
 * * `groupbuy` - group-buy
 * * `page` - mini-program page
 * * `url` - web URL
 */
export type LinkTypeEnum = "product" | "challenge" | "groupbuy" | "page" | "url";

export interface LoginUserOutput {
  id: number;
  nickname: string;
  avatar_url: string;
  /** The user's own referral code. */
  referral_code: string;
  is_new: boolean;
}

export interface LotteryDrawOutput {
  id: number;
  lottery: number;
  /** Null: nothing won. */
  prize: DrawPrizeOutput | null;
  points_won: number;
  /** Points the draw cost (0 for a free draw). */
  cost: number;
  /** The voucher a product prize gave. */
  coupon: CouponOutput | null;
  /** @format date-time */
  created_at: string;
}

export interface LotteryDrawPageOutput {
  count: number;
  /** @format uri */
  next: string | null;
  /** @format uri */
  previous: string | null;
  results: LotteryDrawOutput[];
}

export interface LotteryDrawResultOutput {
  id: number;
  lottery: number;
  /** Null: nothing won. */
  prize: DrawPrizeOutput | null;
  points_won: number;
  /** Points the draw cost (0 for a free draw). */
  cost: number;
  /** The voucher a product prize gave. */
  coupon: CouponOutput | null;
  /** @format date-time */
  created_at: string;
  /** The caller's points balance after the draw. */
  points: number;
}

export interface LotteryOutput {
  id: number;
  title: string;
  /** wheel or grid */
  kind: string;
  /** Points a draw costs after the free ones (0: free draws only). */
  cost: number;
  /** Draws the caller may still make today, free or paid. */
  draws_left_today: number;
  /** How many of them are free. */
  free_draws_left_today: number;
  /** In wheel or grid order; the probabilities sum to 1. */
  prizes: LotteryPrizeOutput[];
}

export interface LotteryPrizeOutput {
  /** Null for 谢谢参与 that stands for prizes out of stock. */
  id: number | null;
  name: string;
  /** points, product or none */
  kind: string;
  /**
   * The chance of this outcome now, from 0 to 1 (概率公示).
   * @format double
   */
  probability: number;
}

export interface MeExportOutput {
  /** @format date-time */
  exported_at: string;
  profile: ExportProfileOutput;
  /** Every ledger entry, newest first. */
  points_history: ExportPointsEntryOutput[];
  orders: ExportOrderOutput[];
  group_buys: ExportGroupBuyOutput[];
  assists: ExportAssistOutput[];
  challenge_entries: ExportChallengeEntryOutput[];
  checkins: ExportCheckinOutput[];
  referrals: ExportReferralsOutput;
}

export interface MeLevelOutput {
  /** Membership level name, or null. */
  level: string | null;
  /** Growth value. */
  growth: number;
  /** The next level's name, or null at the top. */
  next_level: string | null;
  /** Growth still needed for the next level, or null at the top. */
  to_next: number | null;
  /** What the current level gives. */
  privileges: PrivilegeOutput[];
}

export interface MeOutput {
  id: number;
  nickname: string;
  avatar_url: string;
  phone_verified: boolean;
  /** Points balance. */
  points: number;
  /** Growth value. */
  growth: number;
  /** Membership level name, or null. */
  level: string | null;
  /** The user's own referral code. */
  referral_code: string;
  /** Who invited the user, or null. */
  invited_by: InvitedByOutput | null;
  /**
   * The birthday the member gave, or null.
   * @format date
   */
  birthday: string | null;
  /**
   * male, female, or empty when not given.
   *
   * * `` -
   * * `male` - male
   * * `female` - female
   */
  gender: GenderEnum | BlankEnum;
  /** The city the member gave, or empty. */
  city: string;
}

export interface MePingOutput {
  id: number;
  nickname: string;
}

export interface MemberCodeOutput {
  /** Digits staff scan or type at the front desk. */
  code: string;
  /** A PNG QR of the code, as a data URL. */
  qr: string;
  /**
   * After this the code is refused: fetch a new one before.
   * @format date-time
   */
  expires_at: string;
}

export interface MyChallengeEntryChallengeOutput {
  id: number;
  title: string;
}

export interface MyChallengeEntryOutput {
  id: number;
  challenge: MyChallengeEntryChallengeOutput;
  round: number;
  /** @format date */
  start_date: string;
  /** @format date */
  end_date: string;
  round_status: string;
  stake: number;
  checkins: number;
  makeups_used: number;
  status: string;
  outcome: string | null;
  /** Paid points once settled, else null. */
  payout: number | null;
  /** @format date-time */
  joined_at: string;
}

export interface OrderOutput {
  id: number;
  product: number;
  product_name: string;
  quantity: number;
  /** created, fulfilled, completed or cancelled */
  status: string;
  /** Points paid. */
  points: number;
  /** The price before the member's level discount. */
  list_points: number;
  /** Points off by the member's level discount. */
  discount_points: number;
  address: string;
  store: number | null;
  /** @format date-time */
  created_at: string;
  /** The first voucher of the order, if any. */
  coupon: CouponOutput | null;
  coupons: CouponOutput[];
}

export interface OrderPageOutput {
  count: number;
  /** @format uri */
  next: string | null;
  /** @format uri */
  previous: string | null;
  results: OrderOutput[];
}

export interface PaginatedChallengeOutputList {
  count: number;
  /** @format uri */
  next?: string | null;
  /** @format uri */
  previous?: string | null;
  results: ChallengeOutput[];
}

export interface PaginatedChallengeRoundReportOutputList {
  count: number;
  /** @format uri */
  next?: string | null;
  /** @format uri */
  previous?: string | null;
  results: ChallengeRoundReportOutput[];
}

export interface PaginatedMyChallengeEntryOutputList {
  count: number;
  /** @format uri */
  next?: string | null;
  /** @format uri */
  previous?: string | null;
  results: MyChallengeEntryOutput[];
}

export interface PaginatedReferralCommissionOutputList {
  count: number;
  /** @format uri */
  next?: string | null;
  /** @format uri */
  previous?: string | null;
  results: ReferralCommissionOutput[];
}

export interface PaginatedReferralInviteeOutputList {
  count: number;
  /** @format uri */
  next?: string | null;
  /** @format uri */
  previous?: string | null;
  results: ReferralInviteeOutput[];
}

export interface PatchedMeUpdateInputRequest {
  nickname?: string;
  avatar_url?: string;
  /**
   * YYYY-MM-DD, from 1900-01-01 to today; null clears it.
   * @format date
   */
  birthday?: string | null;
  /**
   * male, female, or empty to clear it.
   *
   * * `` -
   * * `male` - male
   * * `female` - female
   */
  gender?: GenderEnum | BlankEnum;
  /** Trimmed; empty clears it. */
  city?: string;
}

export interface PhoneInputRequest {
  /** The code from getPhoneNumber. */
  code: string;
}

export interface PointsExpiringOutput {
  points: number;
  /** @format date-time */
  expires_at: string;
}

export interface PointsHistoryEntryOutput {
  id: number;
  /** Signed: positive credits, negative debits. */
  amount: number;
  kind: string;
  memo: string;
  balance_after: number;
  /** @format date-time */
  created_at: string;
}

export interface PointsHistoryOutput {
  count: number;
  /** @format uri */
  next: string | null;
  /** @format uri */
  previous: string | null;
  results: PointsHistoryEntryOutput[];
  /** Points that expire soon, soonest first. */
  expiring_soon: PointsExpiringOutput[];
}

export interface PointsTaskCompleteOutput {
  /** Points awarded. */
  awarded: number;
  /** Growth value awarded. */
  growth: number;
  /** Points balance after. */
  points: number;
}

export interface PointsTaskOutput {
  code: string;
  title: string;
  description: string;
  points: number;
  growth: number;
  frequency: FrequencyEnum;
  /** No more completions this period. */
  done: boolean;
  /** The app may complete it now. */
  available: boolean;
}

export interface PrivilegeOutput {
  /** mall_discount, extra_makeups, extra_lottery_draws, exclusive_products or birthday_gift */
  code: string;
  /** What it gives, in the member's language. */
  title: string;
}

export interface ProductOutput {
  id: number;
  name: string;
  description: string;
  category: string;
  kind: KindEnum;
  /** Price in points. */
  price: number;
  /** Null means unlimited. */
  stock: number | null;
  /** 0 means no limit. */
  per_user_limit: number;
  level_required?: string | null;
  image_url: string;
  /** @format date-time */
  ends_at: string | null;
}

export interface ProductPageOutput {
  count: number;
  /** @format uri */
  next: string | null;
  /** @format uri */
  previous: string | null;
  results: ProductOutput[];
}

export interface QuizAnswerInputRequest {
  /** Question id -> the chosen option's index (from 0), one for every question of today. */
  answers: Record<string, number>;
}

export interface QuizExplanationOutput {
  /** The question. */
  id: number;
  /** The option the caller chose. */
  chosen: number | null;
  /** The right option. */
  answer: number | null;
  is_correct: boolean;
  explanation: string;
}

export interface QuizQuestionOutput {
  id: number;
  text: string;
  /** In order; answers name them from 0. */
  options: string[];
}

export interface QuizResultOutput {
  /** How many answers were right. */
  correct: number;
  /** Points paid for them. */
  awarded: number;
  /** The caller's balance now. */
  points: number;
  explanations: QuizExplanationOutput[];
}

export interface QuizTodayOutput {
  /**
   * The local day of this quiz.
   * @format date
   */
  date: string;
  questions: QuizQuestionOutput[];
  answered: boolean;
  /** Once answered: the result, as the answer gave it. */
  result: QuizResultOutput | null;
}

export interface RedPacketCampaignOutput {
  id: number;
  title: string;
  /** The starter's packet in points, paid when it is filled. */
  amount: number;
  /** Friends who must open the packet. */
  needed: number;
  /** Points split at random among those friends. */
  pool: number;
  /** Extra points for a friend new to the mini-program. */
  new_user_bonus: number;
  expires_in_hours: number;
}

export interface RedPacketHelperOutput {
  nickname: string;
  avatar_url: string;
  /** Their share of the pool. */
  amount: number;
  /** Their new-user bonus, on top of the share. */
  bonus: number;
  /** The largest share of a filled packet (手气最佳). */
  luckiest: boolean;
}

export interface RedPacketOpenOutput {
  /** The caller's share of the pool. */
  amount: number;
  /** The new-user bonus paid on top (0 when not new). */
  bonus: number;
  /** The caller's points balance afterwards. */
  points: number;
  packet: RedPacketOutput;
}

export interface RedPacketOutput {
  id: number;
  campaign: number;
  title: string;
  /** open, paid or expired */
  status: string;
  /** The starter's packet in points. */
  amount: number;
  /** The helpers' pool in points. */
  pool: number;
  /** Friends who must open it. */
  needed: number;
  /** The friends who opened it, in order. */
  helpers: RedPacketHelperOutput[];
  /** @format date-time */
  expires_at: string;
  /** The share scene: p=<id>. */
  scene: string;
  /** A plain QR code's link: the starter's landing page. */
  share_url: string;
  /** Whether the caller started this packet. */
  mine: boolean;
  /** Whether the caller has opened this packet. */
  opened: boolean;
}

export interface RedemptionCreateInputRequest {
  product: number;
  quantity?: number;
  address?: string;
  store?: number | null;
}

export interface ReferralCommissionInviteeOutput {
  nickname: string;
}

export interface ReferralCommissionOutput {
  invitee: ReferralCommissionInviteeOutput;
  /** The friend's mall order. */
  order: number;
  /** Commission in points (0 when the monthly cap left nothing). */
  amount: number;
  /**
   * held until the order completes, then paid; void when it was cancelled or capped.
   *
   * * `held` - held
   * * `paid` - paid
   * * `void` - void
   */
  status: StatusEnum;
  /** @format date-time */
  created_at: string;
}

export interface ReferralInviteeOutput {
  user: ReferralInviteeUserOutput;
  /** registered, qualified, held, rejected or revoked. */
  status: string;
  /** @format date-time */
  joined_at: string;
}

export interface ReferralInviteeUserOutput {
  nickname: string;
  avatar_url: string;
}

export interface ReferralLeaderboardEntryOutput {
  rank: number;
  user: ReferralLeaderboardUserOutput;
  score: number;
}

export interface ReferralLeaderboardMeOutput {
  rank: number | null;
  score: number;
}

export interface ReferralLeaderboardOutput {
  entries: ReferralLeaderboardEntryOutput[];
  me: ReferralLeaderboardMeOutput;
}

export interface ReferralLeaderboardUserOutput {
  id: number;
  nickname: string;
  avatar_url: string;
}

export interface ReferralMeOutput {
  code: string;
  /** What a mini-program code carries, such as r=7KQ2MX3. */
  scene: string;
  share_url: string;
  invited: number;
  qualified: number;
  rewarded_points: number;
}

export interface RefreshInputRequest {
  refresh: string;
}

/**
 * * `inviter` - inviter
 * * `invitee` - invitee
 */
export type RoleEnum = "inviter" | "invitee";

export interface SigninCalendarOutput {
  /** Signed dates. */
  days: string[];
  streak: number;
}

export interface SigninMakeupInputRequest {
  /**
   * YYYY-MM-DD, a missed day of this month.
   * @format date
   */
  date: string;
}

export interface SigninMakeupOutput {
  /** @format date */
  date: string;
  /** Current streak. */
  streak: number;
  /** Points paid. */
  cost: number;
  /** Points balance after. */
  points: number;
}

export interface SigninOutput {
  /** @format date */
  date: string;
  streak: number;
  /** Points awarded. */
  awarded: number;
  /** Points balance after. */
  points: number;
}

export interface SlotItemOutput {
  id: number;
  title: string;
  image_url: string;
  link_type: LinkTypeEnum;
  /** An id for product, challenge, group-buy; a path or URL. */
  target: string;
}

export interface SlotOutput {
  key: string;
  items: SlotItemOutput[];
}

export interface StaffLoginInputRequest {
  username: string;
  password: string;
}

/**
 * * `held` - held
 * * `paid` - paid
 * * `void` - void
 */
export type StatusEnum = "held" | "paid" | "void";

export interface TokenPairOutput {
  access: string;
  refresh: string;
}

export interface VisitChallengeOutput {
  id: number;
  title: string;
}

export interface VisitCheckinOutput {
  challenge: VisitChallengeOutput;
  /** `checked_in`, `already_checked_in`, or why the visit did not count: `checkin_window_closed`, `not_enrolled`. */
  status: string;
  detail: string;
  /** The member's check-ins in the round so far; null when the visit did not count. */
  checkins: number | null;
  /** Check-ins the round requires; null when the visit did not count. */
  required: number | null;
}

export interface VisitInputRequest {
  /** The member code, scanned or typed. */
  code: string;
  /** The store where the visit happens; default: the staff member's first store. */
  store?: number | null;
}

export interface VisitMemberOutput {
  id: number;
  nickname: string;
  /** The verified phone, masked; empty when none. */
  phone: string;
}

export interface VisitOutput {
  id: number;
  store: string;
  /** @format date */
  date: string;
  /** @format date-time */
  recorded_at: string;
}

export interface VisitRecordedOutput {
  member: VisitMemberOutput;
  visit: VisitOutput;
  /** The member's visit today was already recorded. */
  repeat: boolean;
  checkins: VisitCheckinOutput[];
}

export interface WeChatLoginInputRequest {
  /** The code from wx.login(). */
  code: string;
  referral?: string;
  channel?: string;
}

export interface WeChatLoginOutput {
  access: string;
  refresh: string;
  user: LoginUserOutput;
}

export interface Paths {
  "/api/": {
    /**
     * API index (public)
     *
     * What this API is (name, version), where its documentation lives (`docs`, `schema`) and the first segment of every path under /api/ (`groups`). No token needed.
     *
     * operationId: api_index
     */
    get: {
      responses: {
        200: ApiIndexOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        429: "throttled";
      };
    };
  };
  "/api/assists/campaigns": {
    /**
     * Assist and bargain campaigns
     *
     * The campaigns open now: assists (助力: friends help, the starter gets `reward`, points or a product) and bargains (砍价: each friend's help cuts the price, down to `floor_price`), with the helpers `required` and the hours a task has.
     *
     * operationId: assists_campaigns_list
     */
    get: {
      responses: {
        200: AssistCampaignOutput[];
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/assists/campaigns/{campaign_id}/start": {
    /**
     * Start a task
     *
     * Starts the caller's task of a campaign, to share with its `scene` (`a=<id>`). A product reward is reserved now (a unit of stock, released if the task expires). Answers 201 with the new task, or 200 with the caller's task of the campaign still open, so a double tap never starts two. An unknown or switched-off campaign is 404 `not_found`.
     *
     * operationId: assists_campaigns_start_create
     */
    post: {
      path: {
        campaign_id: number;
      };
      responses: {
        201: AssistTaskOutput;
        200: AssistTaskOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "level_too_low" | "tag_required";
        404: "not_found";
        409: "campaign_closed" | "limit_reached" | "out_of_stock";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/assists/tasks": {
    /**
     * My tasks
     *
     * The caller's assist and bargain tasks, newest first and paginated.
     *
     * operationId: assists_tasks_mine
     */
    get: {
      query: {
        page?: number;
        page_size?: number;
      };
      responses: {
        200: AssistTaskPageOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/assists/tasks/{task_id}": {
    /**
     * One task
     *
     * A task, for its share page (anyone logged in may read it): progress, helpers' nicknames, prices of a bargain, whether it is the caller's (`mine`) and whether the caller `helped`. `order` is shown to the starter only.
     *
     * operationId: assists_tasks_retrieve
     */
    get: {
      path: {
        task_id: number;
      };
      responses: {
        200: AssistTaskOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/assists/tasks/{task_id}/help": {
    /**
     * Help a friend's task
     *
     * The caller helps a friend's task, once: progress grows (a new user may count two when the campaign says so) and a bargain's price drops. The help that completes an assist grants its reward to the starter. Answers 200 with the task.
     *
     * operationId: assists_tasks_help_create
     */
    post: {
      path: {
        task_id: number;
      };
      responses: {
        200: AssistTaskOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        409: "cannot_help_self" | "already_helped" | "task_closed" | "help_limit_reached";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/assists/tasks/{task_id}/redeem": {
    /**
     * Buy a bargain
     *
     * The starter buys the bargain's product at its current price, as a mall order (physical goods need an `address` or a pickup `store`). Answers 201 with the order; again, 200 with the same order. Another user's task, or an assist's, is 404 `not_found`.
     *
     * operationId: assists_tasks_redeem_create
     */
    post: {
      path: {
        task_id: number;
      };
      /** Sent as application/json. */
      body?: BargainRedeemInputRequest;
      responses: {
        201: OrderOutput;
        200: OrderOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "insufficient_points" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "level_too_low" | "tag_required";
        404: "not_found";
        409: "task_closed" | "out_of_stock" | "limit_reached";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/auth/refresh": {
    /**
     * Refresh the tokens (public)
     *
     * A new `access` and a new `refresh` token for a refresh token, which is used up: sent again, even by two requests at once, it answers 401 `token_not_valid` (share one refresh call between concurrent requests). When the refresh is refused, log in again.
     *
     * operationId: auth_refresh_create
     */
    post: {
      /** Sent as application/json. */
      body: RefreshInputRequest;
      responses: {
        200: TokenPairOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "malformed_request";
        401: "token_not_valid" | "no_active_account";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/auth/staff/login": {
    /**
     * Staff log in (public)
     *
     * Tokens for a staff account's username and password: operators, and store staff (门店核销员) for the desk's voucher scanner and visits. Members log in with WeChat instead.
     *
     * operationId: auth_staff_login_create
     */
    post: {
      /** Sent as application/json. */
      body: StaffLoginInputRequest;
      responses: {
        200: TokenPairOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "malformed_request";
        401: "invalid_credentials";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/auth/wechat/login": {
    /**
     * Log in with WeChat (public)
     *
     * Exchanges a `wx.login` code for an `access` token (60 minutes) and a `refresh` token (14 days). The first login creates the user (`user.is_new: true`) with everything a new user gets; the same WeChat user always gets the same account. `referral` takes a referral code, a channel code or a scene (`r=<code>`, `c=<code>`); `channel` a channel code. An unknown code is ignored: the login still succeeds.
     *
     * operationId: auth_wechat_login_create
     */
    post: {
      /** Sent as application/json. */
      body: WeChatLoginInputRequest;
      responses: {
        200: WeChatLoginOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_wechat_code" | "invalid" | "malformed_request";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        502: "wechat_unavailable";
        503: "busy";
      };
    };
  };
  "/api/challenges": {
    /**
     * Check-in challenges
     *
     * The active challenges, paginated (plus a switched-off one while the caller is in a round of it not yet settled), each with its rules, the round open for enrolment (`current_round`: its `id` is null until somebody joins, and `pool` is the stakes plus the operator's bonus), the caller's entry (`my_entry`) and today's window (`today`).
     *
     * operationId: challenges_list
     */
    get: {
      query: {
        /** A page number within the paginated result set. */
        page?: number;
        /** Number of results to return per page. */
        page_size?: number;
      };
      responses: {
        200: PaginatedChallengeOutputList;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/challenges/{challenge_id}": {
    /**
     * One challenge
     *
     * As in the list, plus `rules_text`. A switched-off challenge is 404 `not_found`, unless the caller is in a round of it not yet settled.
     *
     * operationId: challenges_retrieve
     */
    get: {
      path: {
        challenge_id: number;
      };
      responses: {
        200: ChallengeDetailOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/challenges/{challenge_id}/checkin": {
    /**
     * Check in today
     *
     * Checks the caller in for today (the challenge's local day), inside the daily window, with an optional `note` and `image_url`. Answers 201 with a new check-in; a repeat the same day answers 200 with the same check-in (never a second one, never an error), so a double tap is harmless. A challenge with `checkin_by: visit` answers 409 `visit_required`: its check-in is a visit that staff record at the store.
     *
     * operationId: challenges_checkin_create
     */
    post: {
      path: {
        challenge_id: number;
      };
      /** Sent as application/json. */
      body?: ChallengeCheckinInputRequest;
      responses: {
        201: ChallengeCheckinOutput;
        200: ChallengeCheckinOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_enrolled" | "not_found";
        409: "checkin_window_closed" | "visit_required";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/challenges/{challenge_id}/join": {
    /**
     * Join a challenge
     *
     * Stakes `stake` points on the round open for enrolment: they move from the wallet to the round's pool. One entry per user per round. Answers 201 with the entry. A daily challenge's round is checked in the next day; a multi-day one's from its start date.
     *
     * operationId: challenges_join_create
     */
    post: {
      path: {
        challenge_id: number;
      };
      /** Sent as application/json. */
      body: ChallengeJoinInputRequest;
      responses: {
        201: ChallengeEntryOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_stake" | "insufficient_points" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        409: "enrollment_closed" | "already_joined" | "round_full";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/challenges/{challenge_id}/leaderboard": {
    /**
     * Challenge leaderboard
     *
     * The top `limit` of a board and the caller's own place (`me`, null rank when not on it): `winnings` (payouts received, stakes included), `streak` (consecutive days) or `early` (today's earliest check-ins, for `date`). Ties go to whoever got there first.
     *
     * operationId: challenges_leaderboard_retrieve
     */
    get: {
      path: {
        challenge_id: number;
      };
      query: {
        board?: "early" | "streak" | "winnings";
        /** 1 to 100 */
        limit?: number;
      };
      responses: {
        200: ChallengeLeaderboardOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/challenges/{challenge_id}/makeup": {
    /**
     * Makeup check-in
     *
     * A makeup check-in (补签) for a missed past `date` of a running multi-day round, for the challenge's makeup cost and within its makeup limit. Not for today or later, the round's last day, or a day before the caller joined. Answers 201 with the check-in (`makeup: true`).
     *
     * operationId: challenges_makeup_create
     */
    post: {
      path: {
        challenge_id: number;
      };
      /** Sent as application/json. */
      body: ChallengeMakeupInputRequest;
      responses: {
        201: ChallengeCheckinOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_makeup_date" | "insufficient_points" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_enrolled" | "not_found";
        409: "makeup_not_allowed" | "already_checked_in" | "no_makeup_left" | "checkin_window_closed";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/challenges/{challenge_id}/rounds": {
    /**
     * Past rounds of a challenge
     *
     * The challenge's settled and cancelled rounds, newest first and paginated: pool, winners, what was paid or rolled over, and the caller's stake, status and payout.
     *
     * operationId: challenges_rounds_list
     */
    get: {
      path: {
        challenge_id: number;
      };
      query: {
        /** A page number within the paginated result set. */
        page?: number;
        /** Number of results to return per page. */
        page_size?: number;
      };
      responses: {
        200: PaginatedChallengeRoundReportOutputList;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/challenges/subscribe": {
    /**
     * Accept a reminder message
     *
     * Call it once for each template the user accepted in `wx.requestSubscribeMessage`: one more check-in reminder may then be sent. Answers the template's `credits` (at most 50).
     *
     * operationId: challenges_subscribe_create
     */
    post: {
      /** Sent as application/json. */
      body: ChallengeSubscribeInputRequest;
      responses: {
        200: ChallengeSubscribeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "unknown_template" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/groupbuys/groups/{group_id}": {
    /**
     * One group
     *
     * A group, for its share page: `status`, members' nicknames in join order, size, deadline and `scene`. Anyone logged in may read it.
     *
     * operationId: groupbuys_groups_retrieve
     */
    get: {
      path: {
        group_id: number;
      };
      responses: {
        200: GroupBuyGroupOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/groupbuys/groups/{group_id}/join": {
    /**
     * Join a group
     *
     * A friend joins the group through the share: pays the group price into escrow and takes a unit of the product, as the leader did. The join that fills the group succeeds it: every member gets the product. A group that does not fill before `expires_at` fails and every member is refunded. Answers 200 with the group.
     *
     * operationId: groupbuys_groups_join_create
     */
    post: {
      path: {
        group_id: number;
      };
      responses: {
        200: GroupBuyGroupOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "insufficient_points";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "new_users_only" | "level_too_low" | "tag_required";
        404: "not_found";
        409: "group_full" | "group_closed" | "already_member" | "limit_reached" | "out_of_stock";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/groupbuys/offers": {
    /**
     * Group-buy offers
     *
     * The group-buys (拼团) open now: the mall product, the group size, the group price in points and how many hours a group has to fill.
     *
     * operationId: groupbuys_offers_list
     */
    get: {
      responses: {
        200: GroupBuyOfferOutput[];
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/groupbuys/offers/{offer_id}/open": {
    /**
     * Open a group
     *
     * The caller opens a group of the offer and joins it as its leader: the group price moves into the group's escrow and a unit of the product is taken (a mall order awaiting the group). Share the group with its `scene` (`g=<id>`). Answers 201 with the group. An unknown or switched-off offer is 404 `not_found`.
     *
     * operationId: groupbuys_offers_open_create
     */
    post: {
      path: {
        offer_id: number;
      };
      responses: {
        201: GroupBuyGroupOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "insufficient_points";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "level_too_low" | "tag_required";
        404: "not_found";
        409: "offer_closed" | "offer_sold_out" | "limit_reached" | "out_of_stock";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/lotteries": {
    /**
     * Lotteries
     *
     * The lotteries open now (大转盘 `wheel`, 九宫格 `grid`), each with what a draw `cost`s after the free ones, the caller's `draws_left_today` (free first, then paid; the daily limit counts both) and the prizes with the probability of each now (概率公示): a prize out of stock gives its chance to 谢谢参与, shown as the `none` prize or, when the lottery has none, an extra entry with `id` null. A lottery kept for members with certain tags is listed only to members carrying one of them (others drawing in it get 403 `tag_required`).
     *
     * operationId: lotteries_list
     */
    get: {
      responses: {
        200: LotteryOutput[];
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/lotteries/{lottery_id}/draw": {
    /**
     * Draw
     *
     * Draws once: a free draw while the caller has one today (the daily ones and those earned by signing in, completing tasks and friends who qualified), then for `cost` points. The cost, the prize's stock and the prize (points, or a product's order and voucher in `coupon`) move in one transaction. Answers 201 with the draw and the caller's `points` balance; the same `Idempotency-Key` again answers 200 with the same draw and draws nothing. An unknown or switched-off lottery is 404 `not_found`.
     *
     * operationId: lotteries_draw_create
     */
    post: {
      path: {
        lottery_id: number;
      };
      headers: {
        /** The same key from the same user returns the same draw. */
        "Idempotency-Key"?: string;
      };
      responses: {
        201: LotteryDrawResultOutput;
        200: LotteryDrawResultOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "insufficient_points" | "invalid";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "tag_required";
        404: "not_found";
        409: "lottery_closed" | "no_draws_left";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/lotteries/{lottery_id}/draws": {
    /**
     * My draws
     *
     * The caller's draws in a lottery (even one closed since), newest first and paginated.
     *
     * operationId: lotteries_draws_mine
     */
    get: {
      path: {
        lottery_id: number;
      };
      query: {
        page?: number;
        page_size?: number;
      };
      responses: {
        200: LotteryDrawPageOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/mall/coupons": {
    /**
     * My vouchers
     *
     * The caller's vouchers, paginated, with the `code` and `qr` that store staff scan; `status` filters them (empty or omitted: all).
     *
     * operationId: mall_coupons_retrieve
     */
    get: {
      query: {
        page?: number;
        page_size?: number;
        /** Only vouchers in this state; empty or omitted: all. */
        status?: "" | "cancelled" | "expired" | "unused" | "used";
      };
      responses: {
        200: CouponPageOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/mall/products": {
    /**
     * Products on sale
     *
     * The mall's products on sale now, paginated: goods, in-store vouchers and coupons with their price in points, `stock` (null: unlimited), per-user limit and the level they need. `category` filters by category; `affordable=true` keeps what the caller can pay now. A product kept for members with certain tags is listed only to members carrying one of them.
     *
     * operationId: mall_products_retrieve
     */
    get: {
      query: {
        /** Only what I can pay now. */
        affordable?: boolean;
        category?: string;
        page?: number;
        page_size?: number;
      };
      responses: {
        200: ProductPageOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/mall/redemptions": {
    /**
     * My orders
     *
     * The caller's orders, newest first and paginated, each with its vouchers.
     *
     * operationId: mall_redemptions_list
     */
    get: {
      query: {
        page?: number;
        page_size?: number;
      };
      responses: {
        200: OrderPageOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
    /**
     * Redeem a product
     *
     * Orders `quantity` of a product for points: the points, the stock and the order move in one transaction, and a voucher order comes back fulfilled with its codes (`coupon`, `coupons`). Physical goods need an `address` or a pickup `store`. Answers 201 with the new order; the same `Idempotency-Key` again answers 200 with the same order, so a retry after a timeout never orders twice. `invalid` also covers a store that does not exist and a quantity out of range.
     *
     * operationId: mall_redemptions_create
     */
    post: {
      headers: {
        /** The same key from the same user returns the same order. */
        "Idempotency-Key"?: string;
      };
      /** Sent as application/json. */
      body: RedemptionCreateInputRequest;
      responses: {
        201: OrderOutput;
        200: OrderOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "insufficient_points" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "level_too_low" | "tag_required";
        409: "not_on_sale" | "out_of_stock" | "limit_reached";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/mall/redemptions/{order_id}": {
    /**
     * One of my orders
     *
     * An order of the caller's (for the order page after a redirect); another user's order is 404 `not_found`.
     *
     * operationId: mall_redemptions_retrieve
     */
    get: {
      path: {
        order_id: number;
      };
      responses: {
        200: OrderOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/mall/redemptions/{order_id}/cancel": {
    /**
     * Cancel my order
     *
     * Cancels an order not yet sent, or a voucher order none of whose vouchers was used: the points come back to the wallet and the stock to the product. Answers the order with `status: cancelled`; cancelling a cancelled order answers it again.
     *
     * operationId: mall_redemptions_cancel_create
     */
    post: {
      path: {
        order_id: number;
      };
      responses: {
        200: OrderOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        409: "invalid_state" | "already_used" | "coupon_expired";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/me": {
    /**
     * My profile
     *
     * The caller's profile: nickname, avatar, whether a phone is verified (the number itself is never shown), points balance, growth, level, referral code, who invited them, and the profile facts they gave (`birthday` or null, `gender` and `city` or empty).
     *
     * operationId: me_retrieve
     */
    get: {
      responses: {
        200: MeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
    /**
     * Edit my profile
     *
     * Changes `nickname`, `avatar_url` (empty clears it) and the optional profile facts: `birthday` (YYYY-MM-DD from 1900-01-01 to today; null clears it), `gender` (`male`, `female`, empty clears it) and `city` (trimmed, at most 64 characters; empty clears it). The fields not sent stay as they are; a wrong value is 400 `invalid` with `fields` naming it. Answers the profile as GET does.
     *
     * operationId: me_partial_update
     */
    patch: {
      /** Sent as application/json. */
      body?: PatchedMeUpdateInputRequest;
      responses: {
        200: MeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
    /**
     * Delete my account
     *
     * Delete my account (docs/privacy.md): personal fields anonymised, every token revoked, open orders, group-buys and assist tasks settled as their expiry would, the points balance forfeited; the ledger and the referral rows are kept, pointing at the anonymised user. 403 `staff_account` for a staff login. Afterwards the old tokens answer 401.
     *
     * operationId: me_destroy
     */
    delete: {
      responses: {
        204: null;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "staff_account";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/me/avatar": {
    /**
     * Upload my avatar
     *
     * A multipart upload of an image in `file` (JPEG, PNG, WebP or GIF), stored re-encoded as a PNG of at most 512x512. Answers the profile with the stored, absolute `avatar_url`.
     *
     * operationId: me_avatar_create
     */
    post: {
      /** Sent as multipart/form-data. */
      body: AvatarInputRequest;
      responses: {
        200: MeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_image" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/me/entries": {
    /**
     * My challenge entries
     *
     * The caller's entries in every challenge, newest first and paginated: `status` `active` until settlement, then `won`, `lost` or `refunded`; `payout` is null until paid.
     *
     * operationId: me_entries_list
     */
    get: {
      query: {
        /** A page number within the paginated result set. */
        page?: number;
        /** Number of results to return per page. */
        page_size?: number;
      };
      responses: {
        200: PaginatedMyChallengeEntryOutputList;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/me/export": {
    /**
     * Export my data
     *
     * Everything the service holds about the caller, as one JSON document (docs/privacy.md).
     *
     * operationId: me_export_retrieve
     */
    get: {
      responses: {
        200: MeExportOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/me/level": {
    /**
     * My level and privileges
     *
     * The caller's membership level (null below the lowest), growth value, the next level and the growth still needed for it (both null at the top), and the privileges of the current level as `{code, title}`: `mall_discount`, `extra_makeups`, `extra_lottery_draws`, `exclusive_products`, `birthday_gift` (docs/membership.md). Titles are in the request's language.
     *
     * operationId: me_level_retrieve
     */
    get: {
      responses: {
        200: MeLevelOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/me/member-code": {
    /**
     * My member code (会员码)
     *
     * A short-lived code, with its QR, that store staff scan at the front desk to record a visit (`POST staff/visits`). It changes every minute and is refused after `expires_at`: show it on screen and fetch a new one before then. Never cached.
     *
     * operationId: me_member_code_retrieve
     */
    get: {
      responses: {
        200: MemberCodeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/me/phone": {
    /**
     * Verify my phone
     *
     * Verifies (or changes) the caller's phone number with the code of WeChat's `getPhoneNumber` button. A first verification may pay referral rewards and tasks. A number belongs to one account. Answers the profile as GET `me` does.
     *
     * operationId: me_phone_create
     */
    post: {
      /** Sent as application/json. */
      body: PhoneInputRequest;
      responses: {
        200: MeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_wechat_code" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        409: "phone_in_use";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        502: "wechat_unavailable";
        503: "busy";
      };
    };
  };
  "/api/me/ping": {
    /**
     * Who am I (cheap)
     *
     * The caller's `id` and `nickname` from one primary-key read: a cheap check that the access token still works.
     *
     * operationId: me_ping_retrieve
     */
    get: {
      responses: {
        200: MePingOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/points/history": {
    /**
     * My points history
     *
     * The caller's ledger entries, newest first and paginated: each credit (positive `amount`) or debit (negative) with its `kind`, `memo` and the `balance_after` it. Beside the page, `expiring_soon` lists the points that will expire soon (when expiry is on), so the page can warn about them.
     *
     * operationId: points_history_retrieve
     */
    get: {
      query: {
        page?: number;
        page_size?: number;
      };
      responses: {
        200: PointsHistoryOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/points/signin": {
    /**
     * Daily sign-in
     *
     * Signs the caller in for today (签到; the site's local day, given back as `date`): pays the reward of the streak day from the operator's table. Once a day: a second call the same day answers 409 `already_signed_in`.
     *
     * operationId: points_signin_create
     */
    post: {
      responses: {
        200: SigninOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        409: "already_signed_in";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/points/signin/calendar": {
    /**
     * Sign-in calendar
     *
     * The days of `month` the caller signed (makeups included) and the current streak (today's, else yesterday's, else 0).
     *
     * operationId: points_signin_calendar_retrieve
     */
    get: {
      query: {
        /** YYYY-MM */
        month: string;
      };
      responses: {
        200: SigninCalendarOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/points/signin/makeup": {
    /**
     * Makeup sign-in
     *
     * Signs a missed day of this month (补签) for the operator's makeup cost, paying no reward; the streak is counted again across the filled gap. Answers the day, the current streak, the `cost` paid and the new balance.
     *
     * operationId: points_signin_makeup_create
     */
    post: {
      /** Sent as application/json. */
      body: SigninMakeupInputRequest;
      responses: {
        200: SigninMakeupOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_makeup_date" | "insufficient_points" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        409: "makeup_disabled" | "already_signed_in" | "no_makeup_left";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/points/tasks": {
    /**
     * Points tasks
     *
     * Every active task (积分任务) with its reward and the caller's state: `done` means no further completion is possible this period (once: ever; daily: today; weekly: this ISO week; unlimited: the daily cap is reached); `available` means the app may complete it now. Tasks the server completes itself (welcome, phone verified...) are listed with `available: false`.
     *
     * operationId: points_tasks_list
     */
    get: {
      responses: {
        200: PointsTaskOutput[];
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/points/tasks/{code}/complete": {
    /**
     * Complete a task
     *
     * Completes the task `code` for the caller (a share, reading an article...): pays its points and growth once per period and answers what was `awarded` and the new balance.
     *
     * operationId: points_tasks_complete_create
     */
    post: {
      path: {
        code: string;
      };
      responses: {
        200: PointsTaskCompleteOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "task_server_only";
        404: "task_not_found" | "not_found";
        409: "task_already_done" | "task_daily_cap_reached";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/quiz/today": {
    /**
     * Today's quiz
     *
     * The caller's questions of today (每日答题; the site's local day): each with its `options`, never the right one. The same user sees the same questions all day. `answered` says whether today's answers are in; once they are, `result` repeats what the answer gave (the right options and explanations included). No quiz today (switched off, empty bank): `questions` is empty.
     *
     * operationId: quiz_today
     */
    get: {
      responses: {
        200: QuizTodayOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
    /**
     * Answer today's quiz
     *
     * Submits the caller's answers to today's questions, once a day: `answers` maps each question id to the chosen option's index (from 0), one for every question of today. Pays the operator's points per right answer and answers how many were `correct`, the points `awarded`, the new balance and, per question, the right option and its explanation. An id not in today's questions, a missing question or an index out of range is 400 `invalid`; a second submission the same day 409 `already_answered`.
     *
     * operationId: quiz_answer
     */
    post: {
      /** Sent as application/json. */
      body: QuizAnswerInputRequest;
      responses: {
        200: QuizResultOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        409: "already_answered" | "quiz_closed";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/redpackets/{packet_id}": {
    /**
     * One red packet
     *
     * A packet, for its share page (anyone logged in may read it): status, the friends who opened it with their shares (nicknames only), whether it is the caller's (`mine`) and whether the caller `opened` it.
     *
     * operationId: redpackets_retrieve
     */
    get: {
      path: {
        packet_id: number;
      };
      responses: {
        200: RedPacketOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/redpackets/{packet_id}/open": {
    /**
     * Open a friend's red packet
     *
     * The caller opens a friend's packet, once, and is paid at once: `amount`, a random share of the pool, plus `bonus` when the caller is new to the mini-program (a new user is also bound to the friend as an invitee). The open that fills the packet pays the starter. Answers 200 with the points and the caller's balance (`points`).
     *
     * operationId: redpackets_open_create
     */
    post: {
      path: {
        packet_id: number;
      };
      responses: {
        200: RedPacketOpenOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        409: "cannot_open_own" | "already_opened" | "packet_closed" | "open_limit_reached";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/redpackets/campaigns": {
    /**
     * Red packet campaigns
     *
     * The red packet campaigns open now (拆红包): the starter's packet `amount`, paid once `needed` friends have opened it, the `pool` those friends share at random (拼手气), a bonus for friends new to the mini-program, and the hours a packet has.
     *
     * operationId: redpackets_campaigns_list
     */
    get: {
      responses: {
        200: RedPacketCampaignOutput[];
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/redpackets/campaigns/{campaign_id}/start": {
    /**
     * Start a red packet
     *
     * Starts the caller's packet of a campaign, to share with its `scene` (`p=<id>`) or `share_url`. Nothing is paid yet. Answers 201 with the new packet, or 200 with the caller's packet of the campaign still open, so a double tap never starts two. An unknown or switched-off campaign is 404 `not_found`.
     *
     * operationId: redpackets_campaigns_start_create
     */
    post: {
      path: {
        campaign_id: number;
      };
      responses: {
        201: RedPacketOutput;
        200: RedPacketOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        409: "campaign_closed" | "limit_reached";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/referral/commissions": {
    /**
     * My commissions
     *
     * Distribution commission (分销): what the caller earned from each invited friend's mall redemption, newest first and paginated: the friend's `nickname`, the `order`, the `amount` in points and its `status`: `held` until the order completes (its voucher verified, or the goods received), then `paid` into the wallet; `void` when the order was cancelled or the monthly cap left nothing.
     *
     * operationId: referral_commissions_list
     */
    get: {
      query: {
        /** A page number within the paginated result set. */
        page?: number;
        /** Number of results to return per page. */
        page_size?: number;
      };
      responses: {
        200: PaginatedReferralCommissionOutputList;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/referral/invitees": {
    /**
     * My invited friends
     *
     * The friends bound to the caller, newest first and paginated: nickname and avatar, `status` (`registered`, `qualified`, `held` for review, `rejected`, `revoked`) and when they joined.
     *
     * operationId: referral_invitees_list
     */
    get: {
      query: {
        /** A page number within the paginated result set. */
        page?: number;
        /** Number of results to return per page. */
        page_size?: number;
      };
      responses: {
        200: PaginatedReferralInviteeOutputList;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid_page";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/referral/leaderboard": {
    /**
     * Referral leaderboard
     *
     * The top `limit` inviters by qualified invites, and the caller's own place (`me`, a null rank without a qualified invite). Ties go to whoever reached the score first.
     *
     * operationId: referral_leaderboard_retrieve
     */
    get: {
      query: {
        limit?: number;
      };
      responses: {
        200: ReferralLeaderboardOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/referral/me": {
    /**
     * My referral code
     *
     * The caller's referral code, the `scene` a mini-program code carries (`r=<code>`), the `share_url` a plain QR code opens, and the counts: friends `invited` (bound), `qualified` (did what the rewards need, by default verify a phone) and the `rewarded_points` earned, net of clawbacks.
     *
     * operationId: referral_me_retrieve
     */
    get: {
      responses: {
        200: ReferralMeOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        429: "throttled";
      };
    };
  };
  "/api/referral/poster": {
    /**
     * My referral poster
     *
     * A PNG poster from the operator's template (`template`, else the default one) with the caller's avatar, nickname and a QR code that decodes to their `share_url`. Errors are JSON as everywhere.
     *
     * operationId: referral_poster_retrieve
     */
    get: {
      query: {
        /** A poster template id. */
        template?: number;
      };
      responses: {
        200: ArrayBuffer;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "invalid";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        404: "poster_template_not_found";
        429: "throttled";
      };
    };
  };
  "/api/slots/{key}": {
    /**
     * An ops slot (public)
     *
     * What the ops slot (运营位, such as `home_banner`) `key` shows now: its banners in the operator's order, each linking to a product, a challenge, a group-buy, a mini-program page or a URL (`link_type`, `target`). No token needed. An empty slot answers an empty `items`; an unknown key 404 `not_found`.
     *
     * operationId: slots_retrieve
     */
    get: {
      path: {
        key: string;
      };
      responses: {
        200: SlotOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        404: "not_found";
        429: "throttled";
      };
    };
  };
  "/api/staff/coupons/verify": {
    /**
     * Verify a voucher (staff)
     *
     * Store staff mark a customer's voucher used (核销) by its code or scanned QR, at a store they are on: the one in `store`, else their first. A superuser may verify at any store and must name one when on none. Once only: a second scan answers 409 `already_used`. `invalid` also covers a `store` that does not exist or is closed.
     *
     * operationId: staff_coupons_verify_create
     */
    post: {
      /** Sent as application/json. */
      body: CouponVerifyInputRequest;
      responses: {
        200: CouponVerifyOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "store_required" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "permission_denied" | "no_store" | "not_your_store";
        404: "not_found";
        409: "already_used" | "coupon_expired" | "coupon_cancelled";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
  "/api/staff/visits": {
    /**
     * Record a visit (staff)
     *
     * Store staff scan (or type) the member code the member shows (`GET me/member-code`), at a store they are on: the one in `store`, else their first. The visit is recorded once a day per member and counts as today's check-in of each attendance challenge (`checkin_by: visit`) the member is in; `checkins` says, per challenge, whether it counted and the member's count in the round. A second scan the same day answers 200 with `repeat: true` and checks in only a challenge joined since. `invalid` also covers a `store` that does not exist or is closed.
     *
     * operationId: staff_visits_create
     */
    post: {
      /** Sent as application/json. */
      body: VisitInputRequest;
      responses: {
        200: VisitRecordedOutput;
      };
      /** The `code` of each error answer, by status. */
      errors: {
        400: "store_required" | "invalid" | "malformed_request";
        401: "not_authenticated" | "token_not_valid" | "bad_authorization_header" | "user_not_found" | "user_inactive";
        403: "permission_denied" | "no_store" | "not_your_store";
        404: "member_code_invalid";
        413: "payload_too_large";
        415: "unsupported_media_type";
        429: "throttled";
        503: "busy";
      };
    };
  };
}

/** Every error code some operation declares. */
export type ErrorCode = "already_answered" | "already_checked_in" | "already_helped" | "already_joined" | "already_member" | "already_opened" | "already_signed_in" | "already_used" | "bad_authorization_header" | "busy" | "campaign_closed" | "cannot_help_self" | "cannot_open_own" | "checkin_window_closed" | "coupon_cancelled" | "coupon_expired" | "enrollment_closed" | "group_closed" | "group_full" | "help_limit_reached" | "insufficient_points" | "invalid" | "invalid_credentials" | "invalid_image" | "invalid_makeup_date" | "invalid_page" | "invalid_stake" | "invalid_state" | "invalid_wechat_code" | "level_too_low" | "limit_reached" | "lottery_closed" | "makeup_disabled" | "makeup_not_allowed" | "malformed_request" | "member_code_invalid" | "new_users_only" | "no_active_account" | "no_draws_left" | "no_makeup_left" | "no_store" | "not_authenticated" | "not_enrolled" | "not_found" | "not_on_sale" | "not_your_store" | "offer_closed" | "offer_sold_out" | "open_limit_reached" | "out_of_stock" | "packet_closed" | "payload_too_large" | "permission_denied" | "phone_in_use" | "poster_template_not_found" | "quiz_closed" | "round_full" | "staff_account" | "store_required" | "tag_required" | "task_already_done" | "task_closed" | "task_daily_cap_reached" | "task_not_found" | "task_server_only" | "throttled" | "token_not_valid" | "unknown_template" | "unsupported_media_type" | "user_inactive" | "user_not_found" | "visit_required" | "wechat_unavailable";

/** The operations of one path. */
export type PathOf<P extends keyof Paths> = Paths[P];
/** What a 2xx answer of an operation carries, by status. */
export type ResponsesOf<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends {
  responses: infer R;
}
  ? R
  : never;
/** Every error `code` an operation declares. */
export type ErrorCodeOf<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M] extends {
  errors: infer E;
}
  ? E[keyof E]
  : never;
/** An error answer with a known code: `{"code", "detail"}` (+ `fields` on `invalid`). */
export interface ApiErrorOf<C extends string = ErrorCode> {
  code: C;
  /** A human explanation, in the request's language: show it as it is. */
  detail: string;
  /** On `invalid`: each field (or `non_field_errors`) with its messages. */
  fields?: Record<string, string[]>;
}
