// Thai first, English second: the visitor's language, remembered in localStorage.
// `t(key)` gives the interface's own strings; `pick({th, en})` chooses from server/scene text.
// Terms of the glossary (token, coupon, quest, ...) come from glossary.js, so the interface
// and the scene spell each one the same way.

import { GLOSSARY as G } from "./glossary.js";

const STORAGE_KEY = "srichan.lang";

const STRINGS = {
  title: ["ถนนศรีจันทร์ ถนนแห่งการเรียนรู้", "Sri Chan Road, the learning street"],
  loading: ["กำลังโหลดถนนศรีจันทร์…", "Loading Sri Chan Road…"],
  loadingScene: ["กำลังดาวน์โหลดฉาก", "Downloading the street"],
  loadingBuild: ["กำลังสร้างฉาก…", "Building the street…"],
  loadFailed: ["โหลดไม่สำเร็จ", "Could not load"],
  retry: ["ลองใหม่", "Try again"],
  noWebgl: [
    "อุปกรณ์นี้แสดงภาพ 3 มิติไม่ได้ จึงเปิดโหมดรายการให้",
    "This device cannot show 3D, so the list mode is open",
  ],
  langToggle: ["English", "ภาษาไทย"],
  langToggleLabel: ["Switch to English", "เปลี่ยนเป็นภาษาไทย"],
  listMode: ["โหมดรายการ", "List mode"],
  mode3d: ["โหมด 3 มิติ", "3D mode"],
  quality: ["คุณภาพภาพ", "Graphics"],
  qualityHigh: ["สูง", "High"],
  qualityLow: ["ประหยัด", "Low"],
  qualityAuto: ["อัตโนมัติ", "Auto"],
  tokens: [G.token.th, "tokens"],
  balance: [`${G.token.th}การเรียนรู้`, "Learning tokens"],
  connConnecting: ["กำลังเชื่อมต่อ…", "Connecting…"],
  connOnline: ["ออนไลน์", "Online"],
  connOffline: ["ขาดการเชื่อมต่อ กำลังลองใหม่…", "Offline, reconnecting…"],
  connRefused: ["เซิร์ฟเวอร์ปฏิเสธการเชื่อมต่อ", "The server refused the connection"],
  peopleHere: ["คนบนถนน", "people on the street"],
  reportBooth: ["รายงานซุ้มนี้", "Report this booth"],
  quests: [G.quest.th, "Quests"],
  questDone: ["สำเร็จแล้ว", "Completed"],
  questBonus: ["โบนัส", "Bonus"],
  stepQuiz: ["ตอบคำถาม", "Answer"],
  stepVisit: ["ไปเยี่ยม", "Visit"],
  leaderboard: [G.leaderboard.th, "Leaderboard"],
  leaderboardEmpty: ["ยังไม่มีอันดับ", "No rankings yet"],
  thisWeek: ["สัปดาห์นี้", "This week"],
  allTime: ["ตลอดกาล", "All time"],
  alreadyAwarded: [
    "ได้โทเค็นจากคำถามนี้ไปแล้ว ตอบอีกจะไม่ได้เพิ่ม",
    "Already earned: answering again earns nothing",
  ],
  badName: ["ชื่อต้องยาว 1–24 ตัวอักษร", "A name needs 1–24 characters"],
  rank: ["อันดับ", "Rank"],
  name: ["ชื่อ", "Name"],
  wallet: [G.wallet.th, "Wallet"],
  coupons: [G.coupon.th, "Coupons"],
  noCoupons: ["ยังไม่มีคูปอง", "No coupons yet"],
  badges: [G.badge.th, "Badges"],
  noBadges: [
    `ยังไม่มี${G.badge.th} ทำ${G.quest.th}ให้ครบเพื่อรับ${G.badge.th}ดิจิทัลจากเมือง`,
    "No badges yet: complete a quest to earn the city's digital badge",
  ],
  badgeIssued: ["ได้รับเมื่อ", "Earned"],
  badgeRevoked: [`เมืองเพิกถอน${G.badge.th}นี้แล้ว`, "The city revoked this badge"],
  badgeDownloadImage: ["ดาวน์โหลดภาพเหรียญ", "Download the badge"],
  badgeDownloadCredential: ["ดาวน์โหลดเอกสารรับรอง", "Download the credential"],
  badgeShare: ["แชร์ลิงก์", "Share the link"],
  badgeVerify: [`หน้าตรวจสอบ${G.badge.th}`, "Verification page"],
  badgeLink: ["ลิงก์ตรวจสอบ", "Verification link"],
  badgeLinkCopied: ["คัดลอกลิงก์ตรวจสอบแล้ว", "Verification link copied"],
  badgeEarned: [`ได้รับ${G.badge.th}`, "Badge earned"],
  courses: [G.course.th, "Courses"],
  courseSteps: ["ทำแล้ว", "Done"],
  courseDone: [
    `จบ${G.course.th}แล้ว ได้รับ${G.badge.th}ของ${G.course.th}`,
    "Course completed: its badge is yours",
  ],
  courseCompleted: [`จบ${G.course.th}`, "Course completed"],
  lesson: [G.lesson.th, "Lesson"],
  lessonRead: ["อ่านแล้ว", "Read"],
  stepDone: ["ทำแล้ว", "Done"],
  stepNotYet: ["ยังไม่ได้ทำ", "Not yet"],
  lessonOpen: ["อ่าน", "Read"],
  lessonAgain: ["อ่านอีกครั้ง", "Read again"],
  lessonLocked: [`อ่าน${G.lesson.th}ก่อนหน้าก่อน`, "Read the lesson before it first"],
  lessonMarkRead: ["อ่านจบแล้ว", "I have read it"],
  lessonMarked: [`บันทึกว่าอ่าน${G.lesson.th}นี้แล้ว`, "Lesson marked as read"],
  couponCode: ["รหัสคูปอง", "Coupon code"],
  couponQr: ["คิวอาร์โค้ดของคูปอง", "QR code of the coupon"],
  expires: ["หมดอายุ", "Expires"],
  booths: [G.shop.th, "Shops"],
  boothsNearby: [
    "ร้านค้าแสดงเมื่อคุณอยู่ใกล้ (โซนศรีจันทร์ วันสต็อป บิสซิเนส ฮับ)",
    "Shops show up when you are near them (by the Sri Chan One-Stop Business Hub)",
  ],
  walkToShops: ["เดินไปโซนร้านค้า", "Walk to the shops"],
  boothOpen: ["เปิดอยู่", "Open"],
  products: ["สินค้า", "Products"],
  promotions: [G.promotion.th, "Promotions"],
  promotion: [G.promotion.th, "Promotion"],
  redeem: ["แลก", "Redeem"],
  redeemFor: ["แลกด้วย", "Redeem for"],
  redeemed: ["แลกคูปองสำเร็จ", "Coupon redeemed"],
  soldOut: ["หมดแล้ว", "Sold out"],
  visitorLimit: [
    "วันนี้คุณรับคูปองนี้ครบแล้ว พรุ่งนี้มาใหม่นะ",
    "You have today's coupons of this one; come back tomorrow",
  ],
  soldOutToday: ["คูปองของวันนี้หมดแล้ว พรุ่งนี้มีใหม่", "Today's coupons are gone; more tomorrow"],
  left: ["เหลือ {n}", "{n} left"],
  perDay: ["คนละ {n} ใบต่อวัน", "{n} per person a day"],
  baht: ["บาท", "baht"],
  promoNotStarted: ["ยังไม่เริ่ม", "Not started yet"],
  promoEnded: ["หมดเวลาแล้ว", "Ended"],
  boothTooFar: ["เดินเข้าไปใกล้ร้านอีกนิด", "Walk closer to the shop"],
  promoChanged: ["ราคาเปลี่ยนแล้ว ลองดูอีกครั้ง", "The price changed, look again"],
  close: ["ปิด", "Close"],
  quiz: [G.question.th, "Question"],
  quizPoint: ["จุดตอบคำถาม", "Question point"],
  quizAnswer: ["ส่งคำตอบ", "Answer"],
  quizCorrect: ["ถูกต้อง!", "Correct!"],
  quizWrong: ["ยังไม่ถูก", "Not quite"],
  quizEarned: ["ได้รับ", "You earned"],
  quizAttemptsLeft: ["เหลือโอกาส", "Attempts left"],
  quizDone: ["ตอบแล้ว", "Answered"],
  quizOpen: ["เปิดคำถาม", "Open the question"],
  quizNotWired: ["เซิร์ฟเวอร์นี้ยังไม่รองรับคำถาม", "This server does not handle quizzes yet"],
  landmarks: ["สถานที่สำคัญตามถนน", "Landmarks along the road"],
  contents: ["สารบัญ", "Contents"],
  profile: ["ชื่อของฉัน", "My name"],
  nicknameSaved: ["บันทึกชื่อแล้ว", "Name saved"],
  walkHere: ["เดินไปที่นี่", "Walk here"],
  walkingTo: ["กำลังเดินไป", "Walking to"],
  arrived: ["ถึงแล้ว", "Arrived at"],
  youAreAt: ["ตำแหน่งของคุณ", "You are at"],
  metresAway: ["ห่าง {n} เมตร", "{n} m away"],
  nearby: ["ใกล้ๆ", "Nearby"],
  chat: ["แชท", "Chat"],
  chatPlaceholder: ["พิมพ์ข้อความ…", "Say something…"],
  send: ["ส่ง", "Send"],
  emotes: ["ท่าทาง", "Emotes"],
  nickname: ["ชื่อเล่น", "Nickname"],
  setNickname: ["บันทึกชื่อ", "Save name"],
  minimap: ["แผนที่ย่อ", "Minimap"],
  joystick: ["จอยสติ๊กสำหรับเดิน", "Joystick to walk"],
  controlsHint: [
    "เดิน: W A S D หรือลูกศร · ลากเพื่อหันมอง · Shift วิ่ง",
    "Walk: W A S D or arrows · drag to look · Shift to run",
  ],
  touchHint: ["ใช้จอยสติ๊กเพื่อเดิน ลากเพื่อหันมอง", "Use the joystick to walk, drag to look"],
  highlight: ["ไฮไลต์", "Highlight"],
  station: ["ระยะจากต้นถนน {n} เมตร", "{n} m from the start"],
  errorGeneric: ["เกิดข้อผิดพลาด", "Something went wrong"],
  storeRetrying: [
    "ระบบบันทึกข้อมูลขัดข้องชั่วคราว กำลังลองใหม่…",
    "Records are unavailable for a moment; retrying…",
  ],
  storeUnavailable: [
    "ระบบบันทึกข้อมูลขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง",
    "Records are unavailable just now; please try again",
  ],
  comingSoonServer: ["เซิร์ฟเวอร์ยังไม่รองรับ", "Not supported by this server yet"],
  notEnoughTokens: ["โทเค็นไม่พอ", "Not enough tokens"],
  spendable: ["ใช้ได้", "Spendable"],
  pendingTokens: ["รอปลดล็อก", "Pending"],
  pendingQuizzes: [`ตอบ${G.question.th}อีก {n} จุด เพื่อใช้${G.token.th}`, "{n} more quizzes to unlock"],
  pendingMinutes: [`ใช้${G.token.th}ได้ในอีก {n} นาที`, "Tokens unlock in {n} min"],
  pendingWhy: [
    `${G.visitor.th}ใหม่ใช้${G.token.th}ได้เมื่อตอบ${G.question.th}ถูก {q} จุด และอยู่บนถนนครบ {m} นาที`,
    "New visitors can spend tokens after {q} quizzes passed and {m} minutes on the street",
  ],
  tokensPending: [`${G.token.th}ยังรอปลดล็อก`, "Tokens still pending"],
  tooFar: ["อยู่ไกลเกินไป เดินเข้าไปใกล้อีกนิด", "Too far away, walk a little closer"],
  cooldown: ["รอสักครู่แล้วลองใหม่", "Wait a moment and try again"],
  noAttempts: ["ใช้โอกาสครบแล้ว", "No attempts left"],
  dailyCap: ["ได้โทเค็นครบตามโควตาวันนี้แล้ว", "You reached today's token limit"],
  skipToList: ["ข้ามไปโหมดรายการ", "Skip to the list mode"],
  you: ["คุณ", "you"],
  emoteWave: ["โบกมือ", "Wave"],
  emoteWai: ["ไหว้", "Wai"],
  emoteClap: ["ปรบมือ", "Clap"],
  emoteLaugh: ["หัวเราะ", "Laugh"],
  emoteHeart: ["หัวใจ", "Heart"],
  emoteThumbsUp: ["ยอดเยี่ยม", "Thumbs up"],
  emoteDance: ["เต้น", "Dance"],
  menu: ["เมนู", "Menu"],
  settings: ["ตั้งค่า", "Settings"],
  settingsTitle: ["ชื่อและการตั้งค่า", "Name and settings"],
  displayName: ["ชื่อของคุณ", "Your name"],
  displayNameHint: [
    "แสดงเหนือตัวละคร ในแชท และในอันดับ",
    "Shown over your avatar, in chat and on the leaderboard",
  ],
  language: ["ภาษา", "Language"],
  textSize: ["ขนาดตัวอักษร", "Text size"],
  text_normal: ["ปกติ", "Normal"],
  text_large: ["ใหญ่", "Large"],
  text_xlarge: ["ใหญ่มาก", "Extra large"],
  contrast: ["สีตัดกันชัดเจน (อ่านง่ายขึ้น)", "High contrast (easier to read)"],
  listen: ["ฟัง", "Listen"],
  next: ["ถัดไป", "Next"],
  takeMeThere: ["พาไป", "Take me there"],
  stopWalk: ["หยุด", "Stop"],
  walkStopped: ["หยุดเดินแล้ว", "Stopped"],
  streetUpdated: ["ถนนได้รับการปรับปรุงแล้ว", "The street was updated"],
  streetUpdateFailed: [
    "โหลดถนนที่ปรับปรุงไม่สำเร็จ ลองโหลดหน้าใหม่",
    "Could not load the updated street; reload the page",
  ],
  walkLeft: ["อีก {n} เมตร · ประมาณ {s} วินาที", "{n} m to go · about {s} s"],
  noPath: ["ไปที่นั่นไม่ได้ ลองเลือกจุดอื่น", "No way there; try another spot"],
  chosenSpot: ["จุดที่เลือก", "the chosen spot"],
  openQuestion: ["เปิดคำถาม", "Open the question"],
  atQuizPoint: ["คุณอยู่ที่จุดตอบคำถาม", "You are at a question point:"],
  allQuestsDone: [`ทำ${G.quest.th}ครบทุกอย่างแล้ว เก่งมาก!`, "Every quest is done. Well done!"],
  welcomeTitle: ["ยินดีต้อนรับสู่ถนนศรีจันทร์", "Welcome to Sri Chan Road"],
  welcomeOther: ["Welcome to Sri Chan Road", "ยินดีต้อนรับสู่ถนนศรีจันทร์"],
  welcome1: [
    "เดินไปที่วงกลมสีเหลือง แล้วตอบคำถามเกี่ยวกับสถานที่นั้น",
    "Walk to a yellow circle and answer a question about the place",
  ],
  welcome2: [`ตอบถูกได้${G.token.th}`, "A right answer earns tokens"],
  welcome3: [
    `นำ${G.token.th}ไปแลก${G.coupon.th}ส่วนลดที่${G.shop.th}ริมถนน`,
    "Spend tokens on discount coupons at the shops along the road",
  ],
  welcomeGo: ["พาไปคำถามแรก", "Take me to the first question"],
  welcomeSkip: ["ขอดูรอบๆ ก่อน", "Look around first"],
  showWelcome: ["แสดงคำแนะนำอีกครั้ง", "Show the welcome again"],
  unread: ["ข้อความใหม่ {n}", "{n} new"],
  tryAgain: ["ลองอีกครั้ง", "Try again"],
  tryAgainIn: ["ลองใหม่ได้ในอีก {s} วินาที", "You can try again in {s} s"],
  tryAgainNow: ["ลองใหม่ได้แล้ว", "You can try again now"],
  yourAnswer: ["คำตอบของคุณ", "Your answer"],
  triedBefore: ["ตอบไปแล้ว", "tried"],
  pickAnswer: ["เลือกคำตอบก่อน", "Choose an answer first"],
  goOn: ["ไปต่อ", "Go on"],
  confirmRedeemTitle: [`แลก${G.coupon.th}นี้ไหม`, "Redeem this coupon?"],
  shop: ["ร้าน", "Shop"],
  cost: ["ใช้", "Costs"],
  balanceAfter: ["คงเหลือหลังแลก", "Balance after"],
  confirmRedeem: ["ยืนยันแลก", "Redeem"],
  cancel: ["ยกเลิก", "Cancel"],
  yourCoupons: [`${G.coupon.th}ของคุณจากร้านนี้`, "Your coupons from this shop"],
  showAtCounter: ["แสดงรหัสหรือคิวอาร์โค้ดนี้ที่ร้าน", "Show this code or QR code at the shop"],
  events: ["กิจกรรม", "Events"],
  eventsNow: ["กำลังจัดอยู่", "Happening now"],
  eventsNowOther: ["Happening now", "กำลังจัดอยู่"],
  eventsSoon: ["เร็ว ๆ นี้", "Coming up"],
  eventsSoonOther: ["Coming up", "เร็ว ๆ นี้"],
  eventsNone: ["ยังไม่มีกิจกรรมในสัปดาห์นี้", "No events this week"],
  eventEndsIn: ["เหลือเวลา", "Ends in"],
  eventStartsIn: ["เริ่มในอีก", "Starts in"],
  eventDaysHours: ["{d} วัน {h} ชม.", "{d} d {h} h"],
  eventBy: ["จัดโดย", "Hosted by"],
  eventBonus: ["สำหรับผู้เข้าร่วม", "for taking part"],
  eventSeats: ["รับ {n} คน", "{n} places"],
  eventAttending: ["คุณเข้าร่วมกิจกรรมนี้แล้ว", "You are taking part"],
  eventAttended: ["เข้าร่วมกิจกรรมแล้ว", "You joined the event"],
  eventAddCal: ["เพิ่มลงปฏิทิน", "Add to calendar"],
  eventCalendar: ["ปฏิทินกิจกรรมทั้งหมด (.ics)", "All events (.ics)"],
  eventNotNow: ["จุดคำถามนี้เปิดเฉพาะช่วงเวลากิจกรรม", "This quiz point opens only during its event"],
  eventFull: ["กิจกรรมนี้มีผู้เข้าร่วมครบแล้ว", "This event is full"],
  eventCancelled: ["กิจกรรมนี้ถูกยกเลิก", "This event was cancelled"],
  recoveryTitle: ["รหัสกู้คืน", "Recovery code"],
  recoveryWhy: [
    "เก็บรหัสนี้ไว้ เพื่อใช้โทเค็นและคูปองของคุณต่อบนเครื่องอื่น หรือหลังล้างข้อมูลเบราว์เซอร์ ไม่ต้องใช้รหัสผ่าน",
    "Keep this code to carry on with your tokens and coupons on another device, or after clearing the browser. No password needed.",
  ],
  recoveryShow: ["แสดงรหัสกู้คืน", "Show my recovery code"],
  recoveryHide: ["ซ่อนรหัส", "Hide the code"],
  recoveryKeep: [
    "ถ่ายรูป พิมพ์เก็บ หรือจดไว้ในที่ปลอดภัย ใครได้รหัสนี้ไปจะใช้โทเค็นและคูปองของคุณได้ อย่าให้ใครดู",
    "Take a photo, print it or write it down somewhere safe. Anyone with this code can use your tokens and coupons: do not show it to others.",
  ],
  recoveryQr: ["คิวอาร์โค้ดของรหัสกู้คืน", "QR code of the recovery code"],
  recoveryNone: [
    "ยังไม่มีรหัสกู้คืน: เชื่อมต่อกับถนนก่อน แล้วลองใหม่",
    "No recovery code yet: connect to the street first, then try again",
  ],
  recoveryHave: ["มีรหัสกู้คืน · I have a recovery code", "I have a recovery code · มีรหัสกู้คืน"],
  recoveryInput: [
    "พิมพ์รหัสกู้คืน (79 ตัว เว้นวรรคได้)",
    "Type the recovery code (79 characters, spaces allowed)",
  ],
  recoveryRestore: ["กู้คืน", "Restore"],
  recoveryScan: ["สแกนคิวอาร์โค้ด", "Scan the QR code"],
  recoveryScanStop: ["หยุดสแกน", "Stop scanning"],
  recoveryNoCamera: ["เปิดกล้องไม่ได้ พิมพ์รหัสแทน", "No camera: type the code"],
  recoveryReplace: ["ใช้ตัวตนจากรหัสกู้คืนแทน", "Use the identity from the recovery code instead"],
  recoveryLoses: [
    "โทเค็นและคูปองบนเครื่องนี้จะหายไป ถ้าคุณไม่ได้เก็บรหัสกู้คืนของเครื่องนี้ไว้",
    "The tokens and coupons on this device will be gone unless you kept this device's recovery code",
  ],
  recoveryDone: ["กู้คืนแล้ว กำลังโหลดใหม่…", "Restored: reloading…"],
  recoveryBusy: ["ทำรายการถี่เกินไป กรุณารอสักครู่", "Too many tries: please wait a little"],
  recoveryFailed: ["เชื่อมต่อไม่ได้ กรุณาลองใหม่", "Could not reach the street: try again"],
  signinTitle: ["บัญชี", "Account"],
  signinWhy: [
    "เข้าสู่ระบบเพื่อเก็บโทเค็นและคูปองไว้กับบัญชีของคุณ และใช้ต่อบนเครื่องอื่นได้ (ไม่บังคับ)",
    "Sign in to keep your tokens and coupons with your account and carry on on another device (optional)",
  ],
  signinWith: [
    "เข้าสู่ระบบด้วย {provider} · Sign in with {provider}",
    "Sign in with {provider} · เข้าสู่ระบบด้วย {provider}",
  ],
  signinAs: ["เชื่อมกับบัญชี {provider} แล้ว", "Signed in with {provider}"],
  signinLinked: [
    "เรียบร้อย: เข้าสู่ระบบด้วย {provider} บนเครื่องอื่นเพื่อใช้ตัวตนนี้ต่อ",
    "Done: sign in with {provider} on another device to carry on there",
  ],
  signinRestored: [
    "นำตัวตนของบัญชี {provider} กลับมาแล้ว ตัวตนเดิมของเครื่องนี้ถูกเก็บไว้",
    "Your {provider} account's identity is back; this device's earlier one is kept",
  ],
  signout: ["ออกจากระบบบนเครื่องนี้", "Sign out on this device"],
  signoutTitle: [
    "ออกจากระบบ: เครื่องนี้จะลืมตัวตนของคุณ เข้าสู่ระบบอีกครั้งเพื่อนำกลับมา",
    "Sign out: this device forgets your identity; sign in again to get it back",
  ],
  signinSwitchBack: ["สลับกลับไปใช้ตัวตนเดิม ({name})", "Switch back to the earlier identity ({name})"],
  signinFailed: ["เข้าสู่ระบบไม่สำเร็จ กรุณาลองใหม่อีกครั้ง", "Sign-in did not complete: please try again"],
  signinLinkedElsewhere: [
    "ตัวตนบนเครื่องนี้เชื่อมกับบัญชีอื่นอยู่แล้ว",
    "This device's identity is already linked to another account",
  ],
  signinNoIdentity: ["กรุณาเข้าชมถนนก่อน แล้วจึงเข้าสู่ระบบ", "Visit the street first, then sign in"],
  signinUnavailable: [
    "ติดต่อผู้ให้บริการเข้าสู่ระบบไม่ได้ กรุณาลองใหม่ภายหลัง",
    "The sign-in provider could not be reached: try again later",
  ],
  signinRequired: [
    "โปรโมชันนี้สำหรับผู้ที่เข้าสู่ระบบแล้ว เข้าสู่ระบบได้ที่กระเป๋า",
    "This promotion is for signed-in visitors: sign in from your wallet",
  ],
  signinRequiredTitle: ["โปรโมชันนี้สำหรับผู้ที่เข้าสู่ระบบแล้ว", "This promotion is for signed-in visitors"],
  signinOnly: ["เฉพาะผู้เข้าสู่ระบบ", "signed-in visitors"],
  // The dialogue space at the Municipality (dialogue.js); its questions come from the server.
  dialogueTitle: ["สานเสวนา", "Dialogue"],
  dialogueOpen: ["💬 สานเสวนา: ร่วมแสดงความเห็น", "💬 Dialogue: have your say"],
  dialogueKicker: [
    "เทศบาลนครขอนแก่นอยากฟังความเห็นของคุณ",
    "Khon Kaen Municipality wants to hear from you",
  ],
  dialogueLoading: ["กำลังโหลด…", "Loading…"],
  dialogueNone: ["ตอนนี้ยังไม่มีคำถามจากเมือง", "No question from the city right now"],
  dialogueOpenUntil: ["เปิดรับถึง", "Open until"],
  dialogueOpens: ["เปิดรับตั้งแต่", "Opens"],
  dialogueClosed: ["ปิดรับแล้ว", "Closed"],
  dialogueReward: [`ร่วมครั้งแรกรับ {n} ${G.token.th}`, "Take part to earn {n} tokens (once)"],
  dialoguePoll: ["ลงคะแนน", "Vote"],
  dialogueVote: ["ลงคะแนน", "Vote"],
  dialogueChangeVote: ["เปลี่ยนคะแนน", "Change my vote"],
  dialogueYourVote: ["คุณเลือกแล้ว (เปลี่ยนได้จนปิดรับ)", "Your vote (you may change it until close)"],
  dialogueResults: ["ผลการลงคะแนน", "Results"],
  dialogueVotes: ["{n} เสียง", "Votes: {n}"],
  dialogueResultsLater: [
    "ผลจะแสดงหลังคุณร่วมลงคะแนนหรือแสดงความเห็น",
    "Results show once you take part",
  ],
  dialogueOpinionLabel: ["ความเห็นของคุณ", "Your opinion"],
  dialogueOpinionHint: [
    "ไม่เกิน {n} ตัวอักษร สุภาพ และไม่ระบุข้อมูลส่วนตัว",
    "Up to {n} characters. Be polite and share nothing personal.",
  ],
  dialogueSend: ["ส่งความเห็น", "Send my opinion"],
  dialogueOpinionDone: ["คุณแสดงความเห็นแล้ว ขอบคุณ", "You have given your opinion. Thank you."],
  dialogueOpinions: ["ความเห็นจากผู้มาเยือน", "Opinions from visitors"],
  dialogueNoOpinions: ["ยังไม่มีความเห็น", "No opinions yet"],
  dialogueSupport: ["สนับสนุน", "Support"],
  dialogueSupported: ["สนับสนุนแล้ว", "Supported"],
  dialogueSupports: ["ผู้สนับสนุน {n}", "Supporters: {n}"],
  dialogueMine: ["ความเห็นของคุณ", "Your opinion"],
  dialogueReport: ["รายงาน", "Report"],
  dialogueReportWhy: ["รายงานเพราะ", "Report because"],
  dialogueReportSpam: ["สแปม", "Spam"],
  dialogueReportHarassment: ["ก่อกวน คุกคาม", "Harassment"],
  dialogueReportHate: ["สร้างความเกลียดชัง", "Hate"],
  dialogueReportOther: ["อื่น ๆ", "Other"],
  dialogueReported: ["ส่งรายงานถึงผู้ดูแลแล้ว ขอบคุณ", "Sent to the moderators. Thank you."],
  dialogueThanks: [
    `ขอบคุณที่ร่วมสานเสวนา +{n} ${G.token.th}`,
    "Thank you for taking part: +{n} tokens",
  ],
  dialogueThanksCapped: [
    `ขอบคุณที่ร่วมสานเสวนา (วันนี้ได้${G.token.th}ครบแล้ว)`,
    "Thank you (today's tokens are used up)",
  ],
  dialogueVoted: ["บันทึกคะแนนแล้ว", "Vote saved"],
  dialogueTooFar: ["เดินไปที่เทศบาลนครขอนแก่นก่อน จึงจะร่วมได้", "Walk to the Municipality to take part"],
  dialogueNotOpen: ["คำถามนี้ไม่ได้เปิดรับอยู่", "This question is not open"],
  dialogueExists: ["คุณแสดงความเห็นในคำถามนี้แล้ว", "You already gave your opinion here"],
  dialogueOwn: ["สนับสนุนความเห็นของตัวเองไม่ได้", "You cannot support your own opinion"],
  dialogueMuted: ["ผู้ดูแลปิดการแสดงความเห็นของคุณชั่วคราว", "The moderators muted you for a while"],
  dialogueTooLong: ["ความเห็นยาวเกินไป", "The opinion is too long"],
  dialogueBadText: ["ข้อความนี้ใช้ไม่ได้ ลองพิมพ์ใหม่", "This text cannot be used; type it again"],
  dialogueSlowDown: ["ทำรายการถี่เกินไป กรุณารอสักครู่", "Too fast; wait a moment"],
};

let lang = readStored();
const listeners = new Set();

function readStored() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === "th" || stored === "en") return stored;
  } catch {
    // Storage may be disabled (private mode); Thai is the default.
  }
  return "th";
}

export function currentLang() {
  return lang;
}

/** The interface string `key`; `{name}` placeholders are filled from `vars`. */
export function t(key, vars = null) {
  const entry = STRINGS[key];
  if (!entry) return key;
  const text = lang === "th" ? entry[0] : entry[1];
  return vars ? text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? "")) : text;
}

/** Every interface string in both languages (the glossary check reads them). */
export function interfaceStrings() {
  return Object.values(STRINGS).flat();
}

/** Choose from a bilingual `{th, en}` value, falling back to whichever is present. */
export function pick(text) {
  if (text == null) return "";
  if (typeof text === "string") return text;
  return (lang === "th" ? text.th || text.en : text.en || text.th) || "";
}

/** The other language of a bilingual value, for a secondary line. */
export function pickOther(text) {
  if (text == null || typeof text === "string") return "";
  return (lang === "th" ? text.en : text.th) || "";
}

export function setLang(next) {
  if (next !== "th" && next !== "en") return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered, still switched.
  }
  applyStatic(document);
  for (const fn of listeners) fn(lang);
}

export function toggleLang() {
  setLang(lang === "th" ? "en" : "th");
}

export function onLang(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Fill `data-i18n` (text), `data-i18n-label` (aria-label) and `data-i18n-placeholder`. */
export function applyStatic(root) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}
