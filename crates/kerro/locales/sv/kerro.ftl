# kerros webbsidor på svenska. Varje meddelande-id finns i fi, sv och en (ett enhetstest kontrollerar).

## Sidans ram
skip-to-content = Hoppa till innehållet
lang-switch-label = Språk
nav-label = Dina inställningar
nav-overview = Vad vi har
nav-consents = Samtycken
nav-contact = Kontakt
nav-offers = Varför dessa erbjudanden
nav-history = Historik och kvitton
nav-data = Ladda ner eller radera
sign-out = Logga ut
footer-privacy = Dataskyddsbeskrivning
footer-preferences = Dina inställningar
footer-home = Startsida

## Fel
error-title = Något gick fel
error-not-found-title = Sidan hittades inte
error-forbidden-title = Inte tillåtet
error-not-found = Det finns ingenting på den här adressen.
error-no-form = Det finns inget sådant formulär. Det kan ha tagits bort.
error-unavailable = Vi kunde inte spara eller hämta detta just nu. Ingenting ändrades. Försök igen om en stund.
error-internal = Något gick fel hos oss. Ingenting ändrades.
error-invalid = Det gick inte att göra, så ingenting ändrades.
error-csrf = Formuläret har gått ut eller kom inte från den här webbplatsen, så ingenting ändrades. Gå tillbaka, ladda om sidan och skicka formuläret igen.
error-forbidden = Du får inte se den här sidan.
error-link-invalid = Inloggningslänken har redan använts, har gått ut eller är ogiltig. Be om en ny länk på inloggningssidan.
error-go-home = Gå till startsidan
error-email = Ange en e-postadress, till exempel namn@exempel.se.
error-field-choice = Välj ett av alternativen.
error-field-number = Ange ett tal.
error-field-range = Ange ett tal i intervallet { $range }.
error-field-date = Ange ett datum.
error-field-length = Svaret får vara högst { $max } tecken långt.
error-answer-empty = Ge ett svar, eller radera det med den andra knappen.
error-no-basis = Svaret används bara för ändamål som du inte har samtyckt till, så det kan inte sparas.
error-max-per-week = Ange ett heltal från 0 till 100, eller lämna fältet tomt.
error-too-many-title = För många försök
error-too-many = { $seconds ->
    [one] För många förfrågningar kom från ditt nätverk på kort tid, så ingenting ändrades. Försök igen om { $seconds } sekund.
   *[other] För många förfrågningar kom från ditt nätverk på kort tid, så ingenting ändrades. Försök igen om { $seconds } sekunder.
}
error-form-used = Formuläret har redan skickats, så ingenting mer ändrades. Öppna formuläret igen för att skicka nya svar.
error-too-large = Formuläret var för stort för att skickas, så ingenting ändrades. Korta dina svar och försök igen.
error-timeout = Formuläret tog för lång tid att komma fram, så ingenting ändrades. Skicka det igen.

## Värden
value-yes = Ja
value-no = Nej
value-none = Inget valt
field-no-answer = Inget svar
field-used-for = Används för: { $purposes }
retention-days = { $days ->
    [one] { $days } dag
   *[other] { $days } dagar
}
basis-consent = Ditt samtycke
basis-contract = Vårt avtal med dig
basis-legitimate-interest = Vårt berättigade intresse
basis-legal-obligation = En rättslig förpliktelse

## Information
notice-title = Vem frågar och varför
notice-controller = Personuppgiftsansvarig: { $controller }
notice-dpo = Dataskyddsombud
notice-rights = Du kan när som helst se, rätta, ladda ner och radera dina svar och återkalla vilket samtycke som helst i ditt inställningscenter.
notice-what-you-get = Vad du får
notice-data = Uppgifter som används
notice-basis = Rättslig grund
notice-recipients = Mottagare
notice-no-recipients = Ingen utanför den personuppgiftsansvarige
notice-retention = Sparas i
notice-withdraw = Din rätt att återkalla
notice-withdraw-how = Du kan när som helst återkalla samtycket med ett klick i ditt inställningscenter. Återkallelsen påverkar inte det som gjorts innan.
notice-no-categories = Inga svar från det här formuläret
notice-version = informationens version { $version }

## Formulär
form-questions = Frågor
form-all-optional = Alla frågor är frivilliga.
form-choices = Dina val
form-choices-hint = Kryssa bara i en ruta om du vill det. Ingenting är ikryssat åt dig.
consent-label = Ja, jag samtycker: { $purpose }
recipients-legend = Vem som får ta emot uppgifterna: välj var och en ({ $purpose })
recipient-label = Ja, uppgifterna får lämnas ut till { $recipient }
recipient-given = Du godkände utlämning till { $recipient } den { $date }
recipient-declined = Du godkände inte utlämning till { $recipient }
consent-already-given = Du gav det här samtycket { $date }. Du kan återkalla det i ditt inställningscenter.
consent-declined = Du tackade nej till det här { $date }, så vi frågar inte igen.
consent-ask-again = Fråga mig om det här igen
consent-not-needed = Inget samtycke efterfrågas för detta. Svaren som behövs används så som beskrivs nedan.
form-email = Din e-postadress (frivillig)
form-email-hint = Bara för att logga in senare och se, ändra eller radera dina svar. Vi skickar en länk till den för att bekräfta adressen, och ingen marknadsföring utan ditt samtycke.
form-accept = Skicka med de samtycken jag kryssat i
form-decline = Avböj alla samtycken och skicka
form-send = Skicka
form-decision-hint = Båda knapparna skickar dina svar. Svar som bara tjänar ett ändamål som du inte samtyckt till sparas inte.
form-has-errors = Några svar behöver kontrolleras. Ingenting har sparats ännu.
form-notice-changed = Informationen om formuläret ändrades medan du fyllde i det. Kontrollera den och skicka igen.

## Tack
thanks-title = Tack
thanks-recorded = Dina svar på ”{ $form }” och dina val har sparats.
thanks-you-get = Vad du får
thanks-based-on = Utifrån dina svar: { $answers }
thanks-no-consents = Du gav inget samtycke. Du får ingen marknadsföring utifrån det här formuläret.
thanks-not-stored = Sparades inte, eftersom du inte samtyckte till ändamålet de frågades för
thanks-change-mind = Du kan ändra dig när som helst.
thanks-open-centre = Öppna ditt inställningscenter
thanks-sign-in = Logga in i ditt inställningscenter

thanks-confirm-email = Kolla din e-post: öppna länken vi skickar till adressen du gav för att bekräfta den. Tills dess skickar vi inget annat till den.

## Startsida
home-title = Dina uppgifter, ditt val
home-intro = Här kan du svara på våra frågor och bestämma vad dina svar får användas till. Du kan senare se, ändra, ladda ner och radera allt.
home-forms = Formulär
home-your-data = Dina uppgifter
home-privacy = Så behandlar vi dina uppgifter:

## Inloggning
login-title = Logga in i ditt inställningscenter
login-intro = Ange e-postadressen som du gav oss. Vi skickar en inloggningslänk som fungerar en gång.
login-email = E-postadress
login-send = Skicka en inloggningslänk
login-company-site = Du kan också öppna ditt inställningscenter via en länk på vår webbplats när du är inloggad där.
login-sent-title = Kolla din e-post
login-sent-text = { $minutes ->
    [one] Om adressen hör till en profil har vi skickat en inloggningslänk till den. Länken fungerar en gång, i { $minutes } minut.
   *[other] Om adressen hör till en profil har vi skickat en inloggningslänk till den. Länken fungerar en gång, i { $minutes } minuter.
}
login-again = Be om en ny länk
login-confirm-title = Logga in
login-confirm-text = Fortsätt till ditt inställningscenter. Länken slutar fungera när du fortsätter.
login-continue = Fortsätt
mail-subject = Din inloggningslänk
mail-body-intro = Öppna den här länken för att logga in i ditt inställningscenter:
mail-body-expiry = { $minutes ->
    [one] Länken fungerar en gång, i { $minutes } minut. Om du inte bad om den kan du strunta i meddelandet.
   *[other] Länken fungerar en gång, i { $minutes } minuter. Om du inte bad om den kan du strunta i meddelandet.
}

## Inställningscenter: översikt
me-title = Vad vi har om dig
me-intro = Här är alla svar som vi har om dig, var och när du gav varje svar och vad vi använder det till.
me-saved = Ändringen sparades.
me-gpc = Din webbläsare skickar en Global Privacy Control-signal. Vi har registrerat din invändning mot att dina uppgifter lämnas ut eller säljs.
me-identity = Dina uppgifter
me-email = E-post
me-organization = Organisation
me-answers = Dina svar
me-no-answers = Vi har inga svar från dig.
me-given = Givet i { $source }
me-held-for = Används för: { $purposes }
me-edit = Ändra eller radera svaret på ”{ $question }”
me-history-note = Tidigare svar som du har ersatt finns med i nedladdningen.
source-form-version = formuläret ”{ $form }”
source-preference-centre = inställningscentret
answer-title = Ändra ditt svar
answer-save = Spara svaret
answer-delete = Radera svaret
back-to-overview = Tillbaka till vad vi har

## Samtycken
consents-title = Dina samtycken
consents-intro = Varje ändamål har sitt eget samtycke. Ett klick ger det och ett klick återkallar det.
consent-state-given = Samtycke givet { $date }
consent-state-renewed = Samtycke förnyat { $date }
consent-state-refused = Du avböjde { $date }
consent-state-withdrawn = Du återkallade { $date }
consent-state-expired = Samtycket gick ut { $date }
consent-state-none = Inget samtycke givet
consents-give = Ge samtycke: { $purpose }
consents-withdraw = Återkalla samtycke: { $purpose }
consents-saved = Sparat.
consents-renewal-ask = Ett meddelande som du samtyckte enligt har ändrats väsentligt. Förnya samtyckena nedan eller återkalla dem.
consents-renewal-due = Detta samtycke gavs enligt en tidigare version av ett meddelande som har ändrats väsentligt.
consents-renew = Förnya samtycke: { $purpose }
consents-details = Vad det omfattar
consents-other = Andra ändamål
consents-other-intro = Dessa grundar sig inte på samtycke. Du kan ändå invända, eller radera dina uppgifter på sidan ”Ladda ner eller radera”.
recipients-title = Vem som får dina uppgifter
recipients-intro = Vissa ändamål lämnar ut uppgifter till andra. Varje mottagare behöver ditt eget samtycke; inget lämnas ut till någon du inte godkänt.
recipients-for = För: { $purpose }
recipients-give = Godkänn utlämning till { $recipient }
recipients-withdraw = Sluta lämna ut till { $recipient }
disclosures-title = Vad som lämnats ut och till vem
disclosures-none = Inget har lämnats ut till någon.
disclosures-when = När
disclosures-to = Till
disclosures-purpose = För
disclosures-what = Vad
disclosures-how = Hur
disclosure-via-audience_export = en lista åt dem
disclosure-via-webhook = ett meddelande till deras system

## Kontakt
contact-title = Hur vi får kontakta dig
contact-intro = Välj vilka kanaler vi får använda och hur många meddelanden du vill ha som mest. En kanal som du inte kryssar i används inte.
contact-channels = Kanaler
channel-email = E-post
channel-sms = Textmeddelande
channel-phone = Telefonsamtal
channel-post = Brev
channel-web = Meddelanden på vår webbplats
contact-max = Högst så här många meddelanden i veckan
contact-max-hint = Lämna tomt om du inte vill ha en egen gräns. 0 betyder inga meddelanden.
contact-language = Meddelandenas språk
contact-save = Spara kontaktinställningarna
contact-saved = Dina kontaktinställningar sparades.

## E-postadressen och dess bekräftelse
email-title = Din e-postadress
email-in-use = Adress som används
email-none = Ingen adress används.
email-pending = Väntar på bekräftelse
email-pending-text = Vi skickade en länk till den nya adressen. Tills du öppnar den och bekräftar använder vi adressen ovan och skickar inget annat till den nya.
email-new = Ny e-postadress
email-new-hint = Vi skickar en bekräftelselänk till den. Den nya adressen används först när du har bekräftat den.
email-save = Byt adress
email-sent = Om adressen kan ta emot en ny länk nu skickade vi en. Öppna den för att bekräfta adressen.
email-change-link = Byt din e-postadress
confirm-email-title = Bekräfta din e-postadress
confirm-email-text = Bekräfta att adressen är din och att vi får använda den. Inget ändras förrän du trycker på knappen.
confirm-email-button = Bekräfta min adress
confirm-email-done-title = Adressen är bekräftad
confirm-email-done-text = Tack. Din e-postadress är bekräftad och används.
confirm-email-sign-in = Logga in i ditt inställningscenter
confirm-email-invalid = Den här bekräftelselänken har redan använts, har gått ut eller är ogiltig. Inget ändrades.
confirm-mail-subject = Bekräfta din e-postadress
confirm-mail-intro = Den här adressen gavs till { $controller }. Öppna länken för att bekräfta att den är din:
confirm-mail-expiry = { $days ->
    [one] Länken fungerar en gång, i { $days } dag.
   *[other] Länken fungerar en gång, i { $days } dagar.
}
confirm-mail-not-you = Om det inte var du kan du bortse från meddelandet: vi skickar inget annat till adressen om den inte bekräftas.

## Erbjudanden
offers-title = Varför ser jag dessa erbjudanden?
offers-intro = Det här är erbjudandena vi skulle visa dig nu, vart och ett med svaren det byggde på, var och när du gav dem och samtycket som tillät det. Inget annat om dig används.
offers-none = Inget erbjudande passar just nu. Erbjudanden visas bara i kanaler du tillåtit och för ändamål du samtyckt till.
offers-because = Eftersom du berättade:
offers-not-opted-in = Du har inte tillåtit någon kanal, så du får inga erbjudanden.
offers-consent = Tillåtet genom ditt samtycke till "{ $purpose }", givet { $date }.
offers-basis = Grundat på "{ $purpose }", som inte kräver ditt samtycke.
offers-generic = Visas för alla: använder inga av dina svar.
offers-channels = Kanaler:
offers-change = Ändra dina samtycken

## Historik och kvitton
history-title = Samtyckeshistorik och kvitton
history-intro = Varje samtycke du gav, avböjde eller återkallade, det senaste först. Vart och ett har ett kvitto.
history-none = Inga samtyckeshändelser ännu.
history-when = När
history-purpose = Ändamål
history-state = Val
history-where = Var
history-receipt = Kvitto
history-open-receipt = Öppna kvittot
state-given = Givet
state-refused = Avböjt
state-withdrawn = Återkallat
state-expired = Utgånget
state-renewed = Förnyat
receipt-title = Samtyckeskvitto
receipt-id = Post-id
receipt-intro = Kvittot nedan är i formatet ISO/IEC TS 27560.
receipt-download = Ladda ner kvittot (JSON)
receipt-back = Tillbaka till historiken

## Ladda ner och radera
data-title = Ladda ner eller radera dina uppgifter
data-download-title = Ladda ner allt
data-download-intro = En fil (JSON) med allt vi har om dig: svar med var och när du gav dem, ändamål, mottagare, lagringstider, samtyckeshistorik och vem som har läst dina uppgifter.
data-download = Ladda ner mina uppgifter (JSON)
data-delete-title = Radera allt
data-delete-intro = Raderar alla dina svar och uppgifter. Du får bekräfta en gång.
data-delete = Radera allt
data-id-title = Ditt pseudonyma id
data-id-intro = Om du kontaktar oss om dina uppgifter hjälper detta id oss att hitta dem:
delete-title = Radera allt?
delete-will-delete = { $count ->
    [one] Vi raderar { $count } svar, dina uppgifter, kontaktinställningar och inloggningssessioner.
   *[other] Vi raderar { $count } svar, dina uppgifter, kontaktinställningar och inloggningssessioner.
}
delete-will-keep = { $count ->
    [one] Som bevis på dina val sparar vi { $count } samtyckeshändelse under ett pseudonymt id, utan dina svar eller uppgifter.
   *[other] Som bevis på dina val sparar vi { $count } samtyckeshändelser under ett pseudonymt id, utan dina svar eller uppgifter.
}
delete-final = Det går inte att ångra.
delete-confirm = Ja, radera allt
delete-cancel = Nej, behåll mina uppgifter
deleted-title = Dina uppgifter raderades
deleted-answers = { $count ->
    [one] Vi raderade { $count } svar och alla dina uppgifter, kontaktinställningar och sessioner. Din krypteringsnyckel förstördes, så kopior i säkerhetskopior kan inte heller läsas.
   *[other] Vi raderade { $count } svar och alla dina uppgifter, kontaktinställningar och sessioner. Din krypteringsnyckel förstördes, så kopior i säkerhetskopior kan inte heller läsas.
}
deleted-remains-title = Vad som finns kvar
deleted-kept = { $count ->
    [one] { $count } samtyckeshändelse finns kvar under ett pseudonymt id, som bevis på vad du valde. Den innehåller inga av dina svar eller uppgifter.
   *[other] { $count } samtyckeshändelser finns kvar under ett pseudonymt id, som bevis på vad du valde. De innehåller inga av dina svar eller uppgifter.
}
deleted-suppression = Om du gav en e-postadress finns en nyckelbaserad hash av den kvar på en spärrlista, så att vi aldrig kontaktar dig av misstag.

## Dataskyddsbeskrivning
privacy-title = Dataskyddsbeskrivning
privacy-version = Version { $version }
privacy-version-label = Version
privacy-versions = Versioner av beskrivningen
privacy-intro = Beskrivningen skapas utifrån det vi faktiskt har konfigurerat: varje ändamål, uppgifterna det använder, vem som tar emot dem och hur länge de sparas.
privacy-controller = Personuppgiftsansvarig
privacy-controller-name = Namn
privacy-address = Adress
privacy-email = E-post
privacy-purposes = Ändamål
privacy-special = { $category } (särskild kategori, bara med uttryckligt samtycke)
privacy-source-title = Varifrån uppgifterna kommer
privacy-source = Bara från dig: vi sparar det du berättar i våra formulär och i ditt inställningscenter, med var och när du gav det. Vi samlar inte in uppgifter om ditt beteende och drar inga slutsatser om dig.
privacy-rights-title = Dina rättigheter
privacy-rights = Du kan när som helst se, rätta, ladda ner och radera dina uppgifter och återkalla vilket samtycke som helst i ditt inställningscenter. Du kan också begära begränsning av behandlingen, invända mot direktmarknadsföring eller klaga hos en tillsynsmyndighet (i Finland dataombudsmannens byrå).
privacy-security-title = Säkerhet
privacy-security = Dina svar krypteras med en egen nyckel. När du raderar dina uppgifter förstörs nyckeln.
privacy-cookies-title = Kakor
privacy-cookies = Vi använder bara nödvändiga kakor: en som håller dig inloggad, en som skyddar formulär mot förfalskning och en som minns ditt språk. Inga spårnings- eller reklamkakor.
privacy-gpc-title = Global Privacy Control
privacy-gpc = Om din webbläsare skickar Global Privacy Control-signalen medan du är inloggad registrerar vi det som din invändning mot att dina uppgifter lämnas ut eller säljs.

## Administration
admin-title = Översikt
admin-login-title = Inloggning för personal
admin-login-intro = Logga in med din e-postadress, ditt lösenord och den sexsiffriga koden från din autentiseringsapp.
admin-sign-in = Logga in
admin-login-failed = Adressen, lösenordet eller koden stämmer inte. Efter upprepade fel pausas inloggningen en stund.
admin-subjects = { $count ->
    [one] { $count } kundprofil.
   *[other] { $count } kundprofiler.
}
admin-read-only = Översikten kan bara läsas och visar bara summor.
admin-as-table = Visa som tabell
admin-count = Antal
admin-consent-title = Andel samtycken per ändamål och vecka
admin-consent-hint = Andelen givna samtycken av alla val den veckan (givna, avböjda eller återkallade).
admin-consent-axis = Givna samtycken (%)
admin-answers-title = Lämnade svar
admin-answers-hint = Nuvarande svar i profiler som inte är begränsade. Fritext, tal, datum och särskilda kategorier visas inte i diagram.
admin-rights-title = Begäranden om rättigheter och raderingar per vecka
admin-rights-axis = Begäranden
admin-rights-rectification = Rättelser
admin-rights-withdrawal = Återkallelser
admin-rights-export = Nedladdningar
admin-rights-erasure = Raderingar
admin-min-title = Rapport om uppgiftsminimering
admin-min-no-engine = Attribut som inget gällande erbjudande läser, och hur många som har ett värde. Överväg att sluta fråga efter dem eller radera dem.
admin-min-unasked = Attribut som inget formulär frågar efter
admin-min-none = Varje attribut efterfrågas i minst ett formulär.
admin-min-held = { $count ->
    [one] { $count } svar sparat
   *[other] { $count } svar sparade
}
admin-min-unread = Attribut som inget erbjudande läser
admin-min-all-read = Varje attribut som någon har ett värde för läses av ett gällande erbjudande.

# Staff sign-in, invites, the second factor and sessions
admin-email = E-postadress
admin-password = Lösenord
admin-code = Kod från din autentiseringsapp
admin-code-hint = Sex siffror, eller en av dina reservkoder. Lämna tomt om din roll loggar in utan kod.
admin-invite-title = Ta i bruk ditt personalkonto
admin-invite-intro = Välj ett lösenord. Om din roll ser personuppgifter tar du sedan i bruk en autentiseringsapp.
admin-name = Namn
admin-role = Roll
admin-state = Status
admin-new-password = Nytt lösenord
admin-password-hint = Minst { $count } tecken. En lång fras är lättast att komma ihåg.
admin-password-again = Samma lösenord igen
admin-set-password = Ange lösenord
admin-password-mismatch = Lösenorden är inte lika.
admin-password-rule = Det här lösenordet kan inte användas:
admin-invite-invalid = Den här inbjudningslänken fungerar inte längre: den har använts, ersatts eller gått ut. Be en administratör om en ny.
admin-enrol-title = Ta i bruk din autentiseringsapp
admin-enrol-intro = Skanna koden med en autentiseringsapp (RFC 6238, till exempel i din telefon) och skriv de sex siffror den visar.
admin-enrol-qr = QR-kod för din inloggningshemlighet
admin-enrol-secret = Om du inte kan skanna, skriv in den här hemligheten i appen:
admin-enrol-confirm = Bekräfta
admin-code-wrong = Koden stämmer inte. Kontrollera tiden på din enhet och skriv den senaste koden.
admin-codes-title = Dina reservkoder
admin-codes-intro = Varje kod loggar in dig en gång om du tappar bort din enhet. Förvara dem säkert: de visas bara nu.
admin-codes-download = Ladda ner koderna
admin-codes-continue = Fortsätt till översikten
admin-sessions-title = Sessioner
admin-sessions-intro = Var du är inloggad. En session upphör efter 30 minuter utan användning och senast 12 timmar efter inloggningen.
admin-session-browser = Webbläsare
admin-session-started = Inloggad
admin-session-seen = Senast använd
admin-session-end = Avsluta sessionen
admin-session-this = den här webbläsaren
admin-staff-title = Personal
admin-staff-intro = Personalens konton. Bjud in, ändra och inaktivera dem via API:t (/v1/staff).
admin-staff-all-sessions = Allas sessioner
admin-staff-end-sessions = Avsluta alla sessioner
admin-nav-label = Personalens sidor
admin-nav-overview = Översikt
admin-nav-staff = Personal
admin-nav-sessions = Sessioner
## Personalens navigering och granskningsloggen
admin-nav-audit = Granskningslogg
audit-title = Granskningslogg
audit-intro = Varje läsning och ändring av personuppgifter som personalen gör, och varje ändring som kunderna gör, i en hashkedjad logg. Även visning och nedladdning av loggen registreras här.
audit-filters = Filter
audit-actor = Person eller token
audit-actor-hint = En persons eller tokens id (stf_… eller tok_…: allt de gjort, i vilken roll som helst), aktören som registrerat, till exempel staff:admin:tok_…, eller dess början fram till ett kolon, till exempel staff:admin.
audit-subject = Kund (id)
audit-action = Åtgärd
audit-from = Från
audit-to = Till
audit-before = Sida
audit-date-hint = Ett datum som ÅÅÅÅ-MM-DD (UTC), till exempel 2026-03-01.
audit-apply = Visa
audit-clear = Rensa filtren
audit-export = Ladda ner dessa poster
audit-export-csv = CSV
audit-export-json = JSON
audit-caption = Granskningsloggens poster, nyaste först
audit-col-seq = Nr
audit-col-time = Tid (UTC)
audit-col-actor = Av
audit-col-action = Åtgärd
audit-col-subject = Kund
audit-col-detail = Detaljer
audit-none = Inga poster matchar filtren.
audit-pages = Sidor med poster
audit-older = Äldre poster
audit-newest = Nyaste poster
audit-bad-input = Kontrollera filtret ”{ $field }”:
audit-bad-actor = Skriv högst 200 tecken, utan radbrytningar.
audit-bad-subject = Skriv ett kund-id, till exempel sub_01J2Q8X4ZP0000000000000000.
audit-bad-action = Skriv namnet på en åtgärd med små bokstäver, till exempel subject_read.
audit-bad-date = Skriv ett datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01.
audit-bad-range = Slutdatumet är före startdatumet.
audit-bad-before = Sidlänken är ogiltig; börja om från de nyaste posterna.
audit-chain-title = Integritet
audit-chain-intact = { $count ->
    [one] Hashkedjan är hel: { $count } post kontrollerad.
   *[other] Hashkedjan är hel: { $count } poster kontrollerade.
}
audit-chain-broken = Kedjan är bruten vid post { $seq }: { $reason }
audit-chain-end = Loggen slutar vid post { $end }.
audit-chain-tail = Kontrollpunkt { $checkpoint } intygar post { $head }: poster har tagits bort i slutet.
audit-chain-rewritten = Post { $seq } stämmer inte längre med kontrollpunkt { $checkpoint }: loggen har skrivits om.
audit-chain-forged = Kontrollpunkt { $checkpoint } är inte signerad med den här installationens nyckel: den är förfalskad.
audit-checkpoint-none = Ingen kontrollpunkt har skrivits ännu.
audit-checkpoint-newest = Den nyaste verifierade kontrollpunkten, nummer { $checkpoint }, intygar loggen fram till post { $head }.
audit-checkpoint-since = { $count ->
    [0] Ingen post är nyare.
    [one] { $count } nyare post täcks ännu inte av en kontrollpunkt.
   *[other] { $count } nyare poster täcks ännu inte av en kontrollpunkt.
}

## Campaign messages and the one-click unsubscribe
campaign-why = Du får detta eftersom du berättade { $answers } för oss och samtyckte till "{ $purpose }".
campaign-why-consent = Du får detta eftersom du samtyckte till "{ $purpose }".
campaign-preferences = Välj vad vi skickar till dig och hur ofta: { $url }
campaign-unsubscribe = Sluta få e-post om "{ $purpose }" med ett klick: { $url }
unsubscribe-title = Avsluta prenumeration
unsubscribe-question = Sluta få e-post om "{ $purpose }"?
unsubscribe-explain = Du hör fortfarande av oss om annat du har valt. Du kan ändra detta i ditt inställningscenter när som helst.
unsubscribe-button = Sluta skicka dessa e-postmeddelanden
unsubscribe-done = Klart: vi skickar ingen mer e-post om "{ $purpose }".
unsubscribe-already = Du har redan slutat få e-post om "{ $purpose }".
unsubscribe-neutral = Det finns inget att ändra med den här länken.
unsubscribe-preferences = Öppna ditt inställningscenter

## Rights requests (staff, /admin/requests)
admin-nav-requests = Begäranden om rättigheter
requests-title = Begäranden om rättigheter
requests-one-title = Begäran om rättigheter
requests-intro = Begäranden om att se, rätta, radera, begränsa, invända mot eller flytta uppgifter. Varje begäran ska besvaras inom en kalendermånad från mottagandet; tiden kan förlängas med två månader om det finns skäl. Kundens egna åtgärder i inställningarna visas som slutförda begäranden.
requests-filter = Visa
requests-state-open = Öppna
requests-state-overdue = Försenade
requests-state-all = Alla
requests-state-completed = Slutförd
requests-export-csv = Ladda ner som CSV
requests-none = Inga begäranden.
requests-caption = Begäranden, den som ska besvaras först överst
requests-col-due = Senast
requests-col-kind = Rättighet
requests-col-subject = Kund
requests-col-received = Mottagen
requests-col-state = Status
requests-overdue = Försenad
requests-record = Registrera en begäran som kom per e-post, post eller telefon
requests-subject = Kundens id
requests-subject-hint = Id:t börjar med sub_ och finns i kundens uppgifter.
requests-kind = Rättighet
requests-received = Mottagen den
requests-received-hint = Lämna tomt om den kom i dag.
requests-channel = Kom via
requests-note = Anteckning
requests-note-hint = Frivillig. Kopiera inte kundens meddelande hit: anteckningen raderas när kundens uppgifter raderas.
requests-record-submit = Registrera begäran
requests-kind-access = Tillgång
requests-kind-rectification = Rättelse
requests-kind-erasure = Radering
requests-kind-restriction = Begränsning
requests-kind-objection = Invändning
requests-kind-portability = Dataportabilitet
requests-channel-email = E-post
requests-channel-post = Post
requests-channel-phone = Telefon
requests-channel-in_person = Personligen
requests-channel-web = Webbformulär
requests-channel-other = Annat
requests-channel-self_service = Självbetjäning
requests-back = Alla begäranden
requests-identity = Identitet kontrollerad
requests-identity-not-yet = Inte ännu
requests-extension = Förlängd
requests-evidence = Redogörelse
requests-evidence-hint = Vad som gjordes och när, till exempel "uppgifterna skickade till den kontrollerade adressen 2.3.".
requests-verify = Markera den begärandes identitet som kontrollerad
requests-erase-warning = Detta raderar genast allt som finns om kunden och registrerar det mot denna begäran. Det kan inte ångras.
requests-erase = Radera kundens uppgifter
requests-export = Ladda ner kundens uppgifter (JSON) och slutför begäran
requests-extend = Förläng tiden
requests-months = Med månader
requests-reason = Skäl
requests-extend-submit = Förläng
requests-complete = Slutför begäran
requests-complete-submit = Slutför
## The breach register (web/breaches.rs)
admin-nav-breaches = Personuppgiftsincidenter
breach-title = Register över personuppgiftsincidenter
breach-intro = Personuppgiftsincidenter, var och en med tidsfristen på 72 timmar för anmälan till tillsynsmyndigheten (dataskyddsförordningen artikel 33). Registrera och uppdatera dem via API:t (/v1/breaches); varje ändring finns i granskningsloggen.
breach-as-of = Läget { $time }.
breach-refresh = Uppdatera
breach-export-csv = Ladda ner registret (CSV)
breach-none = Inga personuppgiftsincidenter är registrerade.
breach-caption = Personuppgiftsincidenter, den senast upptäckta först
breach-col-aware = Upptäckt
breach-col-deadline = Tidsfrist för anmälan
breach-col-status = Status
breach-col-stage = Skede
breach-col-nature = Art
breach-left = { $hours } h { $minutes } min kvar att anmäla till myndigheten
breach-overdue = Försenad med { $hours } h { $minutes } min: myndigheten har inte underrättats
breach-notified = Myndigheten underrättad { $time }
breach-notified-late = Myndigheten underrättad { $time }, efter tidsfristen
breach-stage-investigating = Utreds
breach-stage-contained = Begränsad
breach-stage-resolved = Åtgärdad
breach-back = Alla personuppgiftsincidenter
breach-detail-title = Personuppgiftsincident
breach-nature = Incidentens art
breach-data-categories = Kategorier av personuppgifter
breach-subject-categories = Kategorier av registrerade
breach-approx-subjects = Ungefärligt antal registrerade
breach-approx-records = Ungefärligt antal registerposter
breach-contact-point = Kontaktpunkt för mer information
breach-consequences = Sannolika konsekvenser
breach-measures = Vidtagna eller föreslagna åtgärder
breach-notification-title = Anmälan av en personuppgiftsincident (dataskyddsförordningen artikel 33)
breach-notification-intro = Anmälan till tillsynsmyndigheten av en personuppgiftsincident enligt artikel 33 i den allmänna dataskyddsförordningen.
breach-notified-ref = Anmäld { $time }, referens { $reference }.
breach-not-notified = Myndigheten har ännu inte underrättats.
breach-late-reason = Skälen till förseningen
breach-notification-print = Utskrivbar anmälan
breach-scope-title = Berörda registrerade
breach-scope-window = Beräknat ur granskningsloggen för { $window }.
breach-scope-counts = { $subjects } registrerade, { $records } poster.
breach-scope-unnamed = { $count ->
    [one] Dessutom innehöll målgruppsexporter { $count } registrerad som granskningsloggen inte namnger.
   *[other] Dessutom innehöll målgruppsexporter { $count } registrerade som granskningsloggen inte namnger.
}
breach-scope-computed = Beräknat { $time } av { $actor }.
breach-scope-none = Inte beräknat ännu (POST /v1/breaches/…/scope).
breach-subjects-download = Ladda ner de registrerades id (CSV; registreras i granskningsloggen)
breach-messages-counts = Meddelanden till registrerade (artikel 34): { $sent } skickade, { $skipped } inte skickade.
breach-phases-title = Historik
breach-phase = { $phase ->
    [0] Registrerad
   *[other] Uppdatering { $phase }
}
breach-phase-changed = Ändrat: { $fields }
breach-controller = Personuppgiftsansvarig
breach-dpo = Dataskyddsombud
breach-id = Personuppgiftsincident
breach-notified-at = Anmäld
breach-generated = Skapad { $time }.
breach-mail-subject = En personuppgiftsincident som gäller dina uppgifter hos { $controller }
breach-mail-intro = Vi skriver för att berätta om en personuppgiftsincident hos { $controller } som gäller dina personuppgifter.
breach-mail-consequences = Vad den kan innebära för dig:
breach-mail-measures = Vad vi har gjort och föreslår:
breach-mail-contact = Mer information: { $contact }
breach-mail-preferences = Dina uppgifter och val: { $url }
breach-messages-title = Meddelanden till de registrerade (artikel 34)
breach-col-time = Tid
breach-col-subject = Registrerad
breach-col-lang = Språk
breach-col-outcome = Utfall
breach-col-by = Skickat av
breach-outcome-sent = skickat
breach-outcome-failed = misslyckades
breach-outcome-skipped = inte skickat
breach-form-text = Vad som är nytt
breach-form-keep-stage = (oförändrat)
breach-form-add-update = Lägg till uppdateringen
breach-form-authority-ref = Myndighetens referens
breach-form-time-hint = RFC 3339 i UTC, till exempel 2026-03-02T10:00:00Z.
breach-form-late-hint = Krävs när anmälan görs efter tidsfristen.
breach-form-notify = Registrera anmälan
breach-form-input = Formuläret
breach-form-conflict = detta är redan registrerat.
breach-form-late = anmälan är efter tidsfristen: ange skälen till förseningen.
breach-form-time = inte en RFC 3339-tid, i framtiden eller före incidenten upptäcktes.
breach-form-text-rule = får inte vara tom, högst 10 000 tecken (en referens på en rad högst 500).

## The record of processing activities (/admin/records)
admin-nav-records = Registerförteckning
records-title = Register över behandling
records-intro = Sammanställt av ändamålen, frågorna, mottagarna och konfigurationen (artikel 30.1 i dataskyddsförordningen). Varje ändring ger en ny version; tidigare versioner förblir läsbara som de var.
records-version = Version { $version }
records-controller = Personuppgiftsansvarig
records-dpo = Dataskyddsombud
records-none = Inga ändamål har definierats ännu.
records-basis = Rättslig grund
records-subjects = Kategorier av registrerade
records-data = Kategorier av personuppgifter
records-recipients = Mottagare
records-transfers = Överföringar utanför EES
records-retention = Raderas efter
records-gaps = Saknas
records-security = Säkerhetsåtgärder
records-export-csv = Ladda ner som CSV
records-export-print = Utskriftsversion
records-recipients-register = Mottagarregister
records-no-recipients = Inga mottagare är registrerade.
records-col-name = Namn
records-col-country = Land
records-col-role = Roll
records-col-safeguard = Skyddsåtgärd
records-versions = Versioner
records-disclosed = Utlämnanden till mottagare
records-disclosed-none = Inget har lämnats ut till någon mottagare.
records-disclosed-to = Mottagare
records-disclosed-count = Utlämnanden
records-disclosed-subjects = Registrerade
records-disclosed-last = Senast
records-disclosed-csv = Ladda ner utlämningsregistret (CSV; nedladdningen loggas)
records-no-versions = Ingen version har gjorts ännu.
records-role-controller = personuppgiftsansvarig
records-role-processor = personuppgiftsbiträde
records-safeguard-adequacy_decision = beslut om adekvat skyddsnivå (art. 45)
records-safeguard-standard_contractual_clauses = standardavtalsklausuler (art. 46)
records-safeguard-binding_corporate_rules = bindande företagsbestämmelser (art. 47)
records-safeguard-code_of_conduct = uppförandekod (art. 46)
records-safeguard-certification = certifiering (art. 46)
records-safeguard-derogation = undantag i särskilda situationer (art. 49)
explicit-statement = Jag ger mitt uttryckliga samtycke till behandlingen av mitt svar på ”{ $question }”, som är en särskild kategori av personuppgifter (dataskyddsförordningen artikel 9), för de ändamål det används till. Utan detta sparas svaret inte.
error-explicit-needed = Det här svaret är en särskild kategori av personuppgifter: kryssa i det uttryckliga samtycket under det, eller lämna frågan tom.
