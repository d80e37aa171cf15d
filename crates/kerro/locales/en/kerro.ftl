# kerro's web pages in English. Every message id exists in fi, sv and en (a unit test checks).

## Page frame
skip-to-content = Skip to content
lang-switch-label = Language
nav-label = Your preferences
nav-overview = What we hold
nav-consents = Consents
nav-contact = Contact
nav-offers = Why these offers
nav-history = History and receipts
nav-data = Download or delete
sign-out = Sign out
footer-privacy = Privacy policy
footer-preferences = Your preferences
footer-home = Start page

## Errors
error-title = Something went wrong
error-not-found-title = Page not found
error-forbidden-title = Not allowed
error-not-found = There is nothing at this address.
error-no-form = There is no such form. It may have been removed.
error-unavailable = We could not save or load this right now. Nothing was changed. Please try again in a moment.
error-internal = Something went wrong on our side. Nothing was changed.
error-invalid = This could not be done, so nothing was changed.
error-csrf = This form has expired or did not come from this site, so nothing was changed. Go back, reload the page and send it again.
error-forbidden = You are not allowed to see this page.
error-link-invalid = This sign-in link has already been used, has expired or is not valid. Ask for a new link on the sign-in page.
error-go-home = Go to the start page
error-email = Enter an e-mail address such as name@example.com.
error-field-choice = Choose one of the options.
error-field-number = Enter a number.
error-field-range = Enter a number in the range { $range }.
error-field-date = Enter a date.
error-field-length = The answer can be at most { $max } characters long.
error-answer-empty = Give an answer, or delete it with the other button.
error-no-basis = This answer serves only purposes you have not consented to, so it cannot be stored.
error-max-per-week = Enter a whole number from 0 to 100, or leave the field empty.
error-too-many-title = Too many attempts
error-too-many = { $seconds ->
    [one] Too many requests came from your network in a short time, so nothing was changed. Please try again in { $seconds } second.
   *[other] Too many requests came from your network in a short time, so nothing was changed. Please try again in { $seconds } seconds.
}
error-form-used = This form has already been sent, so nothing more was changed. Open the form again to send new answers.
error-too-large = The form was too large to send, so nothing was changed. Shorten your answers and try again.
error-timeout = The form took too long to arrive, so nothing was changed. Please send it again.

## Values
value-yes = Yes
value-no = No
value-none = None chosen
field-no-answer = No answer
field-used-for = Used for: { $purposes }
retention-days = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
basis-consent = Your consent
basis-contract = Our contract with you
basis-legitimate-interest = Our legitimate interest
basis-legal-obligation = A legal obligation

## Notice
notice-title = Who asks and why
notice-controller = Controller: { $controller }
notice-dpo = Data protection officer
notice-rights = You can see, correct, download and delete your answers and withdraw any consent at any time in your preference centre.
notice-what-you-get = What you get
notice-data = Data used
notice-basis = Legal basis
notice-recipients = Recipients
notice-no-recipients = No one outside the controller
notice-retention = Kept for
notice-withdraw = Your right to withdraw
notice-withdraw-how = You can withdraw this consent at any time with one click in your preference centre. Withdrawing does not affect what was done before it.
notice-no-categories = No answers from this form
notice-version = notice version { $version }

## Hosted form
form-questions = Questions
form-all-optional = Every question is optional.
form-choices = Your choices
form-choices-hint = Tick a box only if you want that. Nothing is ticked for you.
consent-label = Yes, I consent: { $purpose }
recipients-legend = Who may receive it: choose each one ({ $purpose })
recipient-label = Yes, you may share it with { $recipient }
recipient-given = You agreed to sharing with { $recipient } on { $date }
recipient-declined = You did not agree to sharing with { $recipient }
consent-already-given = You gave this consent on { $date }. You can withdraw it in your preference centre.
consent-declined = You said no to this on { $date }, so we do not ask again.
consent-ask-again = Ask me about this again
consent-not-needed = No consent is asked for this. The answers it needs are used as described below.
form-email = Your e-mail address (optional)
form-email-hint = Only for signing in later to see, change or delete your answers. We send a link to it to confirm the address, and no marketing without your consent.
form-accept = Send with the consents I ticked
form-decline = Refuse all consents and send
form-send = Send
form-decision-hint = Both buttons send your answers. Answers that only serve a purpose you did not consent to are not stored.
form-has-errors = Some answers need checking. Nothing was saved yet.
form-notice-changed = The information about this form changed while you were filling it in. Check it and send again.

## Thank you
thanks-title = Thank you
thanks-recorded = Your answers to "{ $form }" and your choices were recorded.
thanks-you-get = What you will get
thanks-based-on = Based on your answers: { $answers }
thanks-no-consents = You did not give any consent. You will not get marketing from this form.
thanks-not-stored = Not stored, because you did not consent to the purpose they serve
thanks-change-mind = You can change your mind at any time.
thanks-open-centre = Open your preference centre
thanks-sign-in = Sign in to your preference centre

thanks-confirm-email = Check your e-mail: open the link we send to the address you gave to confirm it. Until you do, we send nothing else to it.

## Start page
home-title = Your data, your choice
home-intro = Here you can answer our questions and decide what we may use your answers for. You can see, change, download and delete everything later.
home-forms = Forms
home-your-data = Your data
home-privacy = How we handle your data:

## Sign-in
login-title = Sign in to your preference centre
login-intro = Enter the e-mail address you gave us. We send you a sign-in link that works once.
login-email = E-mail address
login-send = Send me a sign-in link
login-company-site = You can also open your preference centre from a link on our website while you are signed in there.
login-sent-title = Check your e-mail
login-sent-text = { $minutes ->
    [one] If this address belongs to a profile, we sent a sign-in link to it. The link works once, for { $minutes } minute.
   *[other] If this address belongs to a profile, we sent a sign-in link to it. The link works once, for { $minutes } minutes.
}
login-again = Ask for a new link
login-confirm-title = Sign in
login-confirm-text = Continue to your preference centre. The link stops working once you continue.
login-continue = Continue
mail-subject = Your sign-in link
mail-body-intro = Open this link to sign in to your preference centre:
mail-body-expiry = { $minutes ->
    [one] The link works once, for { $minutes } minute. If you did not ask for it, ignore this message.
   *[other] The link works once, for { $minutes } minutes. If you did not ask for it, ignore this message.
}

## Preference centre: overview
me-title = What we hold about you
me-intro = These are all the answers we hold about you, where and when you gave each one, and what we use it for.
me-saved = Your change was saved.
me-gpc = Your browser sends a Global Privacy Control signal. We recorded your objection to sharing or selling your data.
me-identity = Your details
me-email = E-mail
me-organization = Organisation
me-answers = Your answers
me-no-answers = We hold no answers from you.
me-given = Given in { $source }
me-held-for = Used for: { $purposes }
me-edit = Change or delete the answer to "{ $question }"
me-history-note = Earlier answers that you have replaced are included in the download.
source-form-version = the form "{ $form }"
source-preference-centre = the preference centre
answer-title = Change your answer
answer-save = Save the answer
answer-delete = Delete the answer
back-to-overview = Back to what we hold

## Consents
consents-title = Your consents
consents-intro = Each purpose has its own consent. One click gives it and one click withdraws it.
consent-state-given = Consent given on { $date }
consent-state-renewed = Consent renewed on { $date }
consent-state-refused = You refused on { $date }
consent-state-withdrawn = You withdrew on { $date }
consent-state-expired = Consent expired on { $date }
consent-state-none = No consent given
consents-give = Give consent: { $purpose }
consents-withdraw = Withdraw consent: { $purpose }
consents-saved = Saved.
consents-renewal-ask = A notice you consented under has changed materially. Please renew those consents below, or withdraw them.
consents-renewal-due = This consent was given under an earlier version of a notice that has changed materially.
consents-renew = Renew consent: { $purpose }
consents-details = What this covers
consents-other = Other purposes
consents-other-intro = These do not rest on consent. You can still object, or delete your data on the "Download or delete" page.
recipients-title = Who receives your data
recipients-intro = Some purposes share data with others. Each recipient needs your own consent; nothing goes to one you did not agree to.
recipients-for = For: { $purpose }
recipients-give = Agree to sharing with { $recipient }
recipients-withdraw = Stop sharing with { $recipient }
disclosures-title = What was shared, and with whom
disclosures-none = Nothing has been shared with anyone.
disclosures-when = When
disclosures-to = With
disclosures-purpose = For
disclosures-what = What
disclosures-how = How
disclosure-via-audience_export = a list for them
disclosure-via-webhook = a message to their system

## Contact
contact-title = How we may contact you
contact-intro = Choose the channels we may use and how many messages you want at most. A channel you do not tick is not used.
contact-channels = Channels
channel-email = E-mail
channel-sms = Text message
channel-phone = Phone call
channel-post = Post
channel-web = Messages on our website
contact-max = At most this many messages a week
contact-max-hint = Leave empty for no limit of your own. 0 means no messages.
contact-language = Language of messages
contact-save = Save contact preferences
contact-saved = Your contact preferences were saved.

## E-mail address and its confirmation
email-title = Your e-mail address
email-in-use = Address in use
email-none = No address is in use.
email-pending = Waiting for confirmation
email-pending-text = We sent a link to the new address. Until you open it and confirm, we keep using the address above and send nothing else to the new one.
email-new = New e-mail address
email-new-hint = We send a confirmation link to it. The new address is used only after you confirm it.
email-save = Change address
email-sent = If the address can take a new link now, we sent one to it. Open it to confirm the address.
email-change-link = Change your e-mail address
confirm-email-title = Confirm your e-mail address
confirm-email-text = Confirm that this address is yours and that we may use it. Nothing changes until you press the button.
confirm-email-button = Confirm my address
confirm-email-done-title = Address confirmed
confirm-email-done-text = Thank you. Your e-mail address is confirmed and in use.
confirm-email-sign-in = Sign in to your preference centre
confirm-email-invalid = This confirmation link has already been used, has expired or is not valid. Nothing was changed.
confirm-mail-subject = Confirm your e-mail address
confirm-mail-intro = This address was given to { $controller }. Open this link to confirm that it is yours:
confirm-mail-expiry = { $days ->
    [one] The link works once, for { $days } day.
   *[other] The link works once, for { $days } days.
}
confirm-mail-not-you = If it was not you, ignore this message: we send nothing else to this address unless it is confirmed.

## Offers
offers-title = Why am I seeing these offers?
offers-intro = These are the offers we would show you now, each with the answers it was based on, where and when you gave them, and the consent that allowed it. Nothing else about you is used.
offers-none = No offer matches now. Offers appear here only on channels you allowed and for purposes you consented to.
offers-because = Because you told us:
offers-not-opted-in = You have not allowed any channel, so no offer is made to you.
offers-consent = Allowed by your consent to "{ $purpose }" given on { $date }.
offers-basis = Based on "{ $purpose }", which does not need your consent.
offers-generic = Shown to everyone: it uses none of your answers.
offers-channels = Channels:
offers-change = Change your consents

## History and receipts
history-title = Consent history and receipts
history-intro = Every consent you gave, refused or withdrew, newest first. Each has a receipt.
history-none = No consent events yet.
history-when = When
history-purpose = Purpose
history-state = Choice
history-where = Where
history-receipt = Receipt
history-open-receipt = Open receipt
state-given = Given
state-refused = Refused
state-withdrawn = Withdrawn
state-expired = Expired
state-renewed = Renewed
receipt-title = Consent receipt
receipt-id = Record id
receipt-intro = The receipt below is in the ISO/IEC TS 27560 format.
receipt-download = Download the receipt (JSON)
receipt-back = Back to history

## Download and delete
data-title = Download or delete your data
data-download-title = Download everything
data-download-intro = One file (JSON) with everything we hold about you: answers with where and when you gave them, purposes, recipients, retention, consent history and who has read your data.
data-download = Download my data (JSON)
data-delete-title = Delete everything
data-delete-intro = Deletes all your answers and details. You will be asked to confirm once.
data-delete = Delete everything
data-id-title = Your pseudonymous id
data-id-intro = If you contact us about your data, this id helps us find it:
delete-title = Delete everything?
delete-will-delete = { $count ->
    [one] We will delete { $count } answer, your details, contact preferences and sign-in sessions.
   *[other] We will delete { $count } answers, your details, contact preferences and sign-in sessions.
}
delete-will-keep = { $count ->
    [one] As proof of your choices we keep { $count } consent event under a pseudonymous id, without your answers or details.
   *[other] As proof of your choices we keep { $count } consent events under a pseudonymous id, without your answers or details.
}
delete-final = This cannot be undone.
delete-confirm = Yes, delete everything
delete-cancel = No, keep my data
deleted-title = Your data was deleted
deleted-answers = { $count ->
    [one] We deleted { $count } answer and all your details, contact preferences and sessions. Your encryption key was destroyed, so copies in backups cannot be read either.
   *[other] We deleted { $count } answers and all your details, contact preferences and sessions. Your encryption key was destroyed, so copies in backups cannot be read either.
}
deleted-remains-title = What remains
deleted-kept = { $count ->
    [one] { $count } consent event remains under a pseudonymous id, as proof of what you chose. It holds none of your answers or details.
   *[other] { $count } consent events remain under a pseudonymous id, as proof of what you chose. They hold none of your answers or details.
}
deleted-suppression = If you gave an e-mail address, a keyed hash of it stays on a suppression list, so that we never contact you by mistake.

## Privacy policy
privacy-title = Privacy policy
privacy-version = Version { $version }
privacy-version-label = Version
privacy-versions = Versions of this policy
privacy-intro = This policy is generated from what we have actually configured: every purpose, the data it uses, who receives it and how long it is kept.
privacy-controller = Controller
privacy-controller-name = Name
privacy-address = Address
privacy-email = E-mail
privacy-purposes = Purposes
privacy-special = { $category } (special category, only with explicit consent)
privacy-source-title = Where the data comes from
privacy-source = Only from you: we store what you tell us in our forms and your preference centre, with where and when you gave it. We do not collect data about your behaviour and we do not infer anything about you.
privacy-rights-title = Your rights
privacy-rights = You can see, correct, download and delete your data and withdraw any consent at any time in your preference centre. You can also ask us to restrict processing, object to direct marketing, or lodge a complaint with a data protection authority (in Finland, the Data Protection Ombudsman).
privacy-security-title = Security
privacy-security = Your answers are encrypted with a key of your own. When you delete your data, the key is destroyed.
privacy-cookies-title = Cookies
privacy-cookies = We use only necessary cookies: one that keeps you signed in, one that protects forms against forgery, and one that remembers your language. No tracking or advertising cookies.
privacy-gpc-title = Global Privacy Control
privacy-gpc = If your browser sends the Global Privacy Control signal while you are signed in, we record it as your objection to sharing or selling your data.

## Admin
admin-title = Overview
admin-login-title = Staff sign-in
admin-login-intro = Sign in with your e-mail address, your password and the six-digit code from your authenticator app.
admin-sign-in = Sign in
admin-login-failed = The address, password or code is not right. After repeated failures, sign-in is paused for a while.
admin-subjects = { $count ->
    [one] { $count } customer profile.
   *[other] { $count } customer profiles.
}
admin-read-only = This overview is read-only and shows totals only.
admin-as-table = Show as a table
admin-count = Count
admin-consent-title = Consent rate per purpose, by week
admin-consent-hint = The share of consents given among all choices made that week (given, refused or withdrawn).
admin-consent-axis = Consents given (%)
admin-answers-title = Declared answers
admin-answers-hint = Current answers of profiles that are not restricted. Free text, numbers, dates and special-category data are not charted.
admin-rights-title = Rights requests and erasures, by week
admin-rights-axis = Requests
admin-rights-rectification = Corrections
admin-rights-withdrawal = Withdrawals
admin-rights-export = Downloads
admin-rights-erasure = Erasures
admin-min-title = Minimisation report
admin-min-no-engine = Attributes that no live offer reads, with how many people hold a value. Consider not asking them, or deleting them.
admin-min-unasked = Attributes that no form asks
admin-min-none = Every attribute is asked by at least one form.
admin-min-held = { $count ->
    [one] { $count } answer held
   *[other] { $count } answers held
}
admin-min-unread = Attributes no live offer reads
admin-min-all-read = Every attribute people hold a value for is read by a live offer.

# Staff sign-in, invites, the second factor and sessions
admin-email = E-mail address
admin-password = Password
admin-code = Code from your authenticator app
admin-code-hint = Six digits, or one of your recovery codes. Leave empty if your role signs in without one.
admin-invite-title = Set up your staff account
admin-invite-intro = Choose a password. Then, for every role that can see personal data, you enrol an authenticator app.
admin-name = Name
admin-role = Role
admin-state = State
admin-new-password = New password
admin-password-hint = At least { $count } characters. A long phrase is easiest to remember.
admin-password-again = The same password again
admin-set-password = Set password
admin-password-mismatch = The two passwords are not the same.
admin-password-rule = This password cannot be used:
admin-invite-invalid = This invite link does not work any more: it was used, replaced or has expired. Ask an administrator for a new one.
admin-enrol-title = Enrol your authenticator app
admin-enrol-intro = Scan the code with an authenticator app (RFC 6238, e.g. on your phone), then type the six digits it shows.
admin-enrol-qr = QR code of your sign-in secret
admin-enrol-secret = If you cannot scan, type this secret into the app:
admin-enrol-confirm = Confirm
admin-code-wrong = The code is not right. Check the time on your device and type the newest code.
admin-codes-title = Your recovery codes
admin-codes-intro = Each code signs you in once if you lose your device. Keep them somewhere safe: they are shown only now.
admin-codes-download = Download the codes
admin-codes-continue = Continue to the overview
admin-sessions-title = Sessions
admin-sessions-intro = Where you are signed in. A session ends after 30 minutes without use, and at the latest 12 hours after signing in.
admin-session-browser = Browser
admin-session-started = Signed in
admin-session-seen = Last used
admin-session-end = End session
admin-session-this = this browser
admin-staff-title = Staff
admin-staff-intro = Staff accounts. Invite, change and deactivate them through the API (/v1/staff).
admin-staff-all-sessions = Everyone's sessions
admin-staff-end-sessions = End all sessions
admin-nav-label = Staff pages
admin-nav-overview = Overview
admin-nav-staff = Staff
admin-nav-sessions = Sessions
## Staff navigation and the audit log viewer
admin-nav-audit = Audit log
audit-title = Audit log
audit-intro = Every read and change of personal data by staff, and every change by customers, in one hash-chained log. Viewing or downloading it is recorded here too.
audit-filters = Filters
audit-actor = Person or token
audit-actor-hint = A person's or token's id (stf_… or tok_…: everything they did, under any role), the actor as recorded, such as staff:admin:tok_…, or its beginning up to a colon, such as staff:admin.
audit-subject = Customer (subject id)
audit-action = Action
audit-from = From
audit-to = To
audit-before = Page
audit-date-hint = A date as YYYY-MM-DD (UTC), such as 2026-03-01.
audit-apply = Show
audit-clear = Clear the filters
audit-export = Download these entries
audit-export-csv = CSV
audit-export-json = JSON
audit-caption = Audit log entries, newest first
audit-col-seq = No.
audit-col-time = Time (UTC)
audit-col-actor = By
audit-col-action = Action
audit-col-subject = Customer
audit-col-detail = Details
audit-none = No entries match these filters.
audit-pages = Pages of entries
audit-older = Older entries
audit-newest = Newest entries
audit-bad-input = Check the filter “{ $field }”:
audit-bad-actor = Enter at most 200 characters, without line breaks.
audit-bad-subject = Enter a subject id such as sub_01J2Q8X4ZP0000000000000000.
audit-bad-action = Enter an action name in lower case, such as subject_read.
audit-bad-date = Enter a date as YYYY-MM-DD, such as 2026-03-01.
audit-bad-range = The end date is before the start date.
audit-bad-before = The page link is not valid; start again from the newest entries.
audit-chain-title = Integrity
audit-chain-intact = { $count ->
    [one] The hash chain is intact: { $count } entry checked.
   *[other] The hash chain is intact: { $count } entries checked.
}
audit-chain-broken = The chain is broken at entry { $seq }: { $reason }
audit-chain-end = The log ends at entry { $end }.
audit-chain-tail = Checkpoint { $checkpoint } vouches for entry { $head }: entries were removed from the end.
audit-chain-rewritten = Entry { $seq } no longer matches checkpoint { $checkpoint }: the log was rewritten.
audit-chain-forged = Checkpoint { $checkpoint } was not signed with this installation's key: it is forged.
audit-checkpoint-none = No checkpoint has been written yet.
audit-checkpoint-newest = The newest verified checkpoint, number { $checkpoint }, vouches for the log up to entry { $head }.
audit-checkpoint-since = { $count ->
    [0] No entry is newer than it.
    [one] { $count } newer entry is not yet covered by a checkpoint.
   *[other] { $count } newer entries are not yet covered by a checkpoint.
}

## Campaign messages and the one-click unsubscribe
campaign-why = You receive this because you told us { $answers } and agreed to "{ $purpose }".
campaign-why-consent = You receive this because you agreed to "{ $purpose }".
campaign-preferences = Choose what we send you and how often: { $url }
campaign-unsubscribe = Stop e-mails about "{ $purpose }" in one click: { $url }
unsubscribe-title = Unsubscribe
unsubscribe-question = Stop e-mails about "{ $purpose }"?
unsubscribe-explain = You will still hear from us about anything else you chose. You can change this in your preference centre at any time.
unsubscribe-button = Stop these e-mails
unsubscribe-done = Done: we will send no more e-mails about "{ $purpose }".
unsubscribe-already = You have already stopped e-mails about "{ $purpose }".
unsubscribe-neutral = There is nothing to change with this link.
unsubscribe-preferences = Open your preference centre

## Rights requests (staff, /admin/requests)
admin-nav-requests = Rights requests
requests-title = Rights requests
requests-one-title = Rights request
requests-intro = Requests to see, correct, erase, restrict, object or take data away. Each is due one calendar month after it was received; it can be extended by two more months with a reason. The customer's own actions in the preference centre are listed as completed requests.
requests-filter = Show
requests-state-open = Open
requests-state-overdue = Overdue
requests-state-all = All
requests-state-completed = Completed
requests-export-csv = Download as CSV
requests-none = No requests.
requests-caption = Requests, the soonest due first
requests-col-due = Due
requests-col-kind = Right
requests-col-subject = Customer
requests-col-received = Received
requests-col-state = State
requests-overdue = Overdue
requests-record = Record a request received by e-mail, post or phone
requests-subject = Customer's id
requests-subject-hint = The id that starts with sub_, from the customer's record.
requests-kind = Right
requests-received = Received on
requests-received-hint = Leave empty for today.
requests-channel = Received by
requests-note = Note
requests-note-hint = Optional. Do not copy the customer's message here: it is cleared when the customer's data is erased.
requests-record-submit = Record the request
requests-kind-access = Access
requests-kind-rectification = Rectification
requests-kind-erasure = Erasure
requests-kind-restriction = Restriction
requests-kind-objection = Objection
requests-kind-portability = Portability
requests-channel-email = E-mail
requests-channel-post = Post
requests-channel-phone = Phone
requests-channel-in_person = In person
requests-channel-web = Web form
requests-channel-other = Other
requests-channel-self_service = Self-service
requests-back = All requests
requests-identity = Identity verified
requests-identity-not-yet = Not yet
requests-extension = Extended
requests-evidence = Evidence
requests-evidence-hint = What was done, and when, e.g. "export sent to the verified address on 2 March".
requests-verify = Mark the requester's identity as verified
requests-erase-warning = This erases everything held about the customer at once, and records it against this request. It cannot be undone.
requests-erase = Erase the customer's data
requests-export = Download the customer's data (JSON) and complete the request
requests-extend = Extend the deadline
requests-months = By months
requests-reason = Reason
requests-extend-submit = Extend
requests-complete = Complete the request
requests-complete-submit = Complete
## The breach register (web/breaches.rs)
admin-nav-breaches = Breaches
breach-title = Breach register
breach-intro = Personal data breaches, each with the 72-hour deadline for notifying the supervisory authority (GDPR art. 33). Record and update them through the API (/v1/breaches); every change is in the audit log.
breach-as-of = As of { $time }.
breach-refresh = Refresh
breach-export-csv = Download the register (CSV)
breach-none = No breaches are recorded.
breach-caption = Breaches, the most recently discovered first
breach-col-aware = Became aware
breach-col-deadline = Notification deadline
breach-col-status = Status
breach-col-stage = Stage
breach-col-nature = Nature
breach-left = { $hours } h { $minutes } min left to notify the authority
breach-overdue = Overdue by { $hours } h { $minutes } min: the authority has not been notified
breach-notified = Authority notified { $time }
breach-notified-late = Authority notified { $time }, after the deadline
breach-stage-investigating = Investigating
breach-stage-contained = Contained
breach-stage-resolved = Resolved
breach-back = All breaches
breach-detail-title = Breach
breach-nature = Nature of the breach
breach-data-categories = Categories of personal data
breach-subject-categories = Categories of data subjects
breach-approx-subjects = Approximate number of data subjects
breach-approx-records = Approximate number of personal data records
breach-contact-point = Contact point for more information
breach-consequences = Likely consequences
breach-measures = Measures taken or proposed
breach-notification-title = Notification of a personal data breach (GDPR art. 33)
breach-notification-intro = Notification to the supervisory authority of a personal data breach under Article 33 of the General Data Protection Regulation.
breach-notified-ref = Notified { $time }, reference { $reference }.
breach-not-notified = The authority has not been notified yet.
breach-late-reason = Reasons for the delay
breach-notification-print = Printable notification
breach-scope-title = Affected subjects
breach-scope-window = Computed from the audit log for { $window }.
breach-scope-counts = { $subjects } subjects, { $records } records.
breach-scope-unnamed = { $count ->
    [one] In addition, audience exports held { $count } subject whom the audit log does not name.
   *[other] In addition, audience exports held { $count } subjects whom the audit log does not name.
}
breach-scope-computed = Computed { $time } by { $actor }.
breach-scope-none = Not computed yet (POST /v1/breaches/…/scope).
breach-subjects-download = Download the subjects' ids (CSV; recorded in the audit log)
breach-messages-counts = Messages to subjects (art. 34): { $sent } sent, { $skipped } not sent.
breach-phases-title = History
breach-phase = { $phase ->
    [0] Recorded
   *[other] Update { $phase }
}
breach-phase-changed = Changed: { $fields }
breach-controller = Controller
breach-dpo = Data protection officer
breach-id = Breach
breach-notified-at = Notified
breach-generated = Generated { $time }.
breach-mail-subject = A personal data breach concerning your data at { $controller }
breach-mail-intro = We are writing to tell you about a personal data breach at { $controller } that concerns your personal data.
breach-mail-consequences = What it may mean for you:
breach-mail-measures = What we have done and propose:
breach-mail-contact = For more information, contact: { $contact }
breach-mail-preferences = Your data and choices: { $url }
breach-messages-title = Messages to the subjects (art. 34)
breach-col-time = Time
breach-col-subject = Subject
breach-col-lang = Language
breach-col-outcome = Outcome
breach-col-by = Sent by
breach-outcome-sent = sent
breach-outcome-failed = failed
breach-outcome-skipped = not sent
breach-form-text = What is new
breach-form-keep-stage = (unchanged)
breach-form-add-update = Add the update
breach-form-authority-ref = The authority's reference
breach-form-time-hint = RFC 3339 in UTC, such as 2026-03-02T10:00:00Z.
breach-form-late-hint = Required when the notification is after the deadline.
breach-form-notify = Record the notification
breach-form-input = The form
breach-form-conflict = this is recorded already.
breach-form-late = the notification is after the deadline: give the reasons for the delay.
breach-form-time = not an RFC 3339 time, in the future, or before the breach was known.
breach-form-text-rule = must not be blank, at most 10 000 characters (500 on one line for a reference).

## The record of processing activities (/admin/records)
admin-nav-records = Processing record
records-title = Record of processing activities
records-intro = Generated from the purposes, questions, recipients and configuration (GDPR art. 30(1)). Every change makes a new version; earlier versions stay readable as they were.
records-version = Version { $version }
records-controller = Controller
records-dpo = Data protection officer
records-none = No purposes are defined yet.
records-basis = Legal basis
records-subjects = Categories of data subjects
records-data = Categories of personal data
records-recipients = Recipients
records-transfers = Transfers outside the EEA
records-retention = Erased after
records-gaps = Missing
records-security = Security measures
records-export-csv = Download as CSV
records-export-print = Printable version
records-recipients-register = Recipients register
records-no-recipients = No recipients are registered.
records-col-name = Name
records-col-country = Country
records-col-role = Role
records-col-safeguard = Safeguard
records-versions = Versions
records-disclosed = Disclosures to recipients
records-disclosed-none = Nothing has been disclosed to any recipient.
records-disclosed-to = Recipient
records-disclosed-count = Disclosures
records-disclosed-subjects = Subjects
records-disclosed-last = Latest
records-disclosed-csv = Download the disclosure register (CSV; the download is audited)
records-no-versions = No version has been made yet.
records-role-controller = controller
records-role-processor = processor
records-safeguard-adequacy_decision = adequacy decision (art. 45)
records-safeguard-standard_contractual_clauses = standard contractual clauses (art. 46)
records-safeguard-binding_corporate_rules = binding corporate rules (art. 47)
records-safeguard-code_of_conduct = code of conduct (art. 46)
records-safeguard-certification = certification (art. 46)
records-safeguard-derogation = derogation for a specific situation (art. 49)
explicit-statement = I explicitly consent to the processing of my answer to “{ $question }”, which is a special category of personal data (GDPR art. 9), for the purposes it is used for. Without this the answer is not stored.
error-explicit-needed = This answer is a special category of personal data: tick the explicit consent below it, or leave the question empty.
