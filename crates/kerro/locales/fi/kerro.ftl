# kerron verkkosivut suomeksi. Jokainen viestitunniste on fi-, sv- ja en-tiedostossa (yksikkötesti tarkistaa).

## Sivun kehys
skip-to-content = Siirry sisältöön
lang-switch-label = Kieli
nav-label = Asetuksesi
nav-overview = Mitä tiedämme
nav-consents = Suostumukset
nav-contact = Yhteydenotot
nav-offers = Miksi nämä tarjoukset
nav-history = Historia ja kuitit
nav-data = Lataa tai poista
sign-out = Kirjaudu ulos
footer-privacy = Tietosuojaseloste
footer-preferences = Asetuksesi
footer-home = Etusivu

## Virheet
error-title = Jokin meni vikaan
error-not-found-title = Sivua ei löytynyt
error-forbidden-title = Ei sallittu
error-not-found = Tässä osoitteessa ei ole mitään.
error-no-form = Tällaista lomaketta ei ole. Se on ehkä poistettu.
error-unavailable = Emme voineet tallentaa tai hakea tätä juuri nyt. Mitään ei muutettu. Yritä hetken kuluttua uudelleen.
error-internal = Meillä tapahtui virhe. Mitään ei muutettu.
error-invalid = Tätä ei voitu tehdä, joten mitään ei muutettu.
error-csrf = Lomake on vanhentunut tai se ei tullut tältä sivustolta, joten mitään ei muutettu. Palaa takaisin, lataa sivu uudelleen ja lähetä lomake uudestaan.
error-forbidden = Sinulla ei ole oikeutta nähdä tätä sivua.
error-link-invalid = Kirjautumislinkki on jo käytetty, vanhentunut tai virheellinen. Pyydä uusi linkki kirjautumissivulta.
error-go-home = Siirry etusivulle
error-email = Anna sähköpostiosoite, esimerkiksi nimi@esimerkki.fi.
error-field-choice = Valitse yksi vaihtoehdoista.
error-field-number = Anna luku.
error-field-range = Anna luku väliltä { $range }.
error-field-date = Anna päivämäärä.
error-field-length = Vastaus voi olla enintään { $max } merkkiä pitkä.
error-answer-empty = Anna vastaus tai poista se toisella painikkeella.
error-no-basis = Tätä vastausta käytetään vain tarkoituksiin, joihin et ole antanut suostumusta, joten sitä ei voi tallentaa.
error-max-per-week = Anna kokonaisluku väliltä 0–100 tai jätä kenttä tyhjäksi.
error-too-many-title = Liian monta yritystä
error-too-many = { $seconds ->
    [one] Verkostasi tuli lyhyessä ajassa liian monta pyyntöä, joten mitään ei muutettu. Yritä uudelleen { $seconds } sekunnin kuluttua.
   *[other] Verkostasi tuli lyhyessä ajassa liian monta pyyntöä, joten mitään ei muutettu. Yritä uudelleen { $seconds } sekunnin kuluttua.
}
error-form-used = Tämä lomake on jo lähetetty, joten mitään muuta ei muutettu. Avaa lomake uudelleen, jos haluat lähettää uudet vastaukset.
error-too-large = Lomake oli liian suuri lähetettäväksi, joten mitään ei muutettu. Lyhennä vastauksiasi ja yritä uudelleen.
error-timeout = Lomakkeen saapuminen kesti liian kauan, joten mitään ei muutettu. Lähetä se uudelleen.

## Arvot
value-yes = Kyllä
value-no = Ei
value-none = Ei valintoja
field-no-answer = Ei vastausta
field-used-for = Käyttötarkoitus: { $purposes }
retention-days = { $days ->
    [one] { $days } päivä
   *[other] { $days } päivää
}
basis-consent = Suostumuksesi
basis-contract = Sopimuksemme kanssasi
basis-legitimate-interest = Oikeutettu etumme
basis-legal-obligation = Lakisääteinen velvoite

## Tietosuojailmoitus
notice-title = Kuka kysyy ja miksi
notice-controller = Rekisterinpitäjä: { $controller }
notice-dpo = Tietosuojavastaava
notice-rights = Voit milloin tahansa nähdä, korjata, ladata ja poistaa vastauksesi sekä perua minkä tahansa suostumuksen asetuskeskuksessasi.
notice-what-you-get = Mitä saat
notice-data = Käytettävät tiedot
notice-basis = Käsittelyperuste
notice-recipients = Vastaanottajat
notice-no-recipients = Ei kenellekään rekisterinpitäjän ulkopuolelle
notice-retention = Säilytysaika
notice-withdraw = Oikeutesi perua
notice-withdraw-how = Voit perua tämän suostumuksen milloin tahansa yhdellä napsautuksella asetuskeskuksessasi. Peruminen ei vaikuta sitä ennen tehtyyn käsittelyyn.
notice-no-categories = Ei vastauksia tästä lomakkeesta
notice-version = ilmoituksen versio { $version }

## Lomake
form-questions = Kysymykset
form-all-optional = Kaikki kysymykset ovat vapaaehtoisia.
form-choices = Valintasi
form-choices-hint = Rastita ruutu vain, jos haluat sitä. Mitään ei ole valittu puolestasi.
consent-label = Kyllä, annan suostumukseni: { $purpose }
recipients-legend = Kenelle tiedot saa luovuttaa: valitse kukin erikseen ({ $purpose })
recipient-label = Kyllä, tiedot saa luovuttaa vastaanottajalle { $recipient }
recipient-given = Hyväksyit luovutuksen vastaanottajalle { $recipient } { $date }
recipient-declined = Et hyväksynyt luovutusta vastaanottajalle { $recipient }
consent-already-given = Annoit tämän suostumuksen { $date }. Voit perua sen asetuskeskuksessasi.
consent-declined = Kieltäydyit tästä { $date }, joten emme kysy uudelleen.
consent-ask-again = Kysy minulta tätä uudelleen
consent-not-needed = Tähän ei kysytä suostumusta. Sen tarvitsemia vastauksia käytetään alla kuvatulla tavalla.
form-email = Sähköpostiosoitteesi (vapaaehtoinen)
form-email-hint = Vain myöhempää kirjautumista varten, jotta voit nähdä, muuttaa tai poistaa vastauksesi. Lähetämme siihen linkin osoitteen vahvistamiseksi emmekä markkinointia ilman suostumustasi.
form-accept = Lähetä rastittamillani suostumuksilla
form-decline = Kieltäydy kaikista ja lähetä
form-send = Lähetä
form-decision-hint = Molemmat painikkeet lähettävät vastauksesi. Vastauksia, joita käytetään vain tarkoitukseen, johon et antanut suostumusta, ei tallenneta.
form-has-errors = Osa vastauksista pitää tarkistaa. Mitään ei ole vielä tallennettu.
form-notice-changed = Lomakkeen tiedot muuttuivat sillä välin, kun täytit sitä. Tarkista ne ja lähetä uudelleen.

## Kiitos
thanks-title = Kiitos
thanks-recorded = Vastauksesi lomakkeeseen ”{ $form }” ja valintasi on tallennettu.
thanks-you-get = Mitä saat
thanks-based-on = Vastaustesi perusteella: { $answers }
thanks-no-consents = Et antanut suostumuksia. Et saa tämän lomakkeen perusteella markkinointia.
thanks-not-stored = Ei tallennettu, koska et antanut suostumusta tarkoitukseen, jota varten niitä kysyttiin
thanks-change-mind = Voit muuttaa mielesi milloin tahansa.
thanks-open-centre = Avaa asetuskeskuksesi
thanks-sign-in = Kirjaudu asetuskeskukseesi

thanks-confirm-email = Tarkista sähköpostisi: vahvista antamasi osoite avaamalla linkki, jonka lähetämme siihen. Siihen asti emme lähetä siihen mitään muuta.

## Etusivu
home-title = Sinun tietosi, sinun valintasi
home-intro = Täällä voit vastata kysymyksiimme ja päättää, mihin vastauksiasi saa käyttää. Voit myöhemmin nähdä, muuttaa, ladata ja poistaa kaiken.
home-forms = Lomakkeet
home-your-data = Sinun tietosi
home-privacy = Näin käsittelemme tietojasi:

## Kirjautuminen
login-title = Kirjaudu asetuskeskukseesi
login-intro = Anna sähköpostiosoite, jonka annoit meille. Lähetämme kertakäyttöisen kirjautumislinkin.
login-email = Sähköpostiosoite
login-send = Lähetä kirjautumislinkki
login-company-site = Voit avata asetuskeskuksesi myös verkkosivuillamme olevasta linkistä, kun olet kirjautunut sinne.
login-sent-title = Tarkista sähköpostisi
login-sent-text = { $minutes ->
    [one] Jos osoite kuuluu profiiliin, lähetimme siihen kirjautumislinkin. Linkki toimii kerran ja { $minutes } minuutin ajan.
   *[other] Jos osoite kuuluu profiiliin, lähetimme siihen kirjautumislinkin. Linkki toimii kerran ja { $minutes } minuutin ajan.
}
login-again = Pyydä uusi linkki
login-confirm-title = Kirjaudu
login-confirm-text = Jatka asetuskeskukseesi. Linkki lakkaa toimimasta, kun jatkat.
login-continue = Jatka
mail-subject = Kirjautumislinkkisi
mail-body-intro = Avaa tämä linkki kirjautuaksesi asetuskeskukseesi:
mail-body-expiry = { $minutes ->
    [one] Linkki toimii kerran ja { $minutes } minuutin ajan. Jos et pyytänyt sitä, voit jättää viestin huomiotta.
   *[other] Linkki toimii kerran ja { $minutes } minuutin ajan. Jos et pyytänyt sitä, voit jättää viestin huomiotta.
}

## Asetuskeskus: yleiskuva
me-title = Mitä tiedämme sinusta
me-intro = Tässä ovat kaikki vastauksesi, jotka meillä on, missä ja milloin annoit kunkin ja mihin käytämme sitä.
me-saved = Muutos tallennettiin.
me-gpc = Selaimesi lähettää Global Privacy Control -signaalin. Kirjasimme vastustuksesi tietojesi luovuttamiselle tai myymiselle.
me-identity = Tietosi
me-email = Sähköposti
me-organization = Organisaatio
me-answers = Vastauksesi
me-no-answers = Meillä ei ole vastauksiasi.
me-given = Annettu: { $source }
me-held-for = Käyttötarkoitus: { $purposes }
me-edit = Muuta tai poista vastaus kysymykseen ”{ $question }”
me-history-note = Aiemmat, korvatut vastauksesi sisältyvät ladattavaan tiedostoon.
source-form-version = lomake ”{ $form }”
source-preference-centre = asetuskeskus
answer-title = Muuta vastaustasi
answer-save = Tallenna vastaus
answer-delete = Poista vastaus
back-to-overview = Takaisin tietoihisi

## Suostumukset
consents-title = Suostumuksesi
consents-intro = Jokaisella tarkoituksella on oma suostumuksensa. Yksi napsautus antaa sen ja yksi napsautus peruu sen.
consent-state-given = Suostumus annettu { $date }
consent-state-renewed = Suostumus uusittu { $date }
consent-state-refused = Kieltäydyit { $date }
consent-state-withdrawn = Peruit { $date }
consent-state-expired = Suostumus vanheni { $date }
consent-state-none = Suostumusta ei ole annettu
consents-give = Anna suostumus: { $purpose }
consents-withdraw = Peru suostumus: { $purpose }
consents-saved = Tallennettu.
consents-renewal-ask = Ilmoitus, jonka perusteella annoit suostumuksen, on muuttunut olennaisesti. Uusi suostumukset alla tai peru ne.
consents-renewal-due = Tämä suostumus annettiin olennaisesti muuttuneen ilmoituksen aiemman version perusteella.
consents-renew = Uusi suostumus: { $purpose }
consents-details = Mitä tämä kattaa
consents-other = Muut tarkoitukset
consents-other-intro = Nämä eivät perustu suostumukseen. Voit silti vastustaa käsittelyä tai poistaa tietosi sivulla ”Lataa tai poista”.
recipients-title = Kuka saa tietojasi
recipients-intro = Osa käyttötarkoituksista luovuttaa tietoja muille. Jokainen vastaanottaja tarvitsee oman suostumuksesi; mitään ei luovuteta sille, jolle et ole antanut lupaa.
recipients-for = Käyttötarkoitus: { $purpose }
recipients-give = Salli luovutus vastaanottajalle { $recipient }
recipients-withdraw = Lopeta luovutus vastaanottajalle { $recipient }
disclosures-title = Mitä on luovutettu ja kenelle
disclosures-none = Tietojasi ei ole luovutettu kenellekään.
disclosures-when = Milloin
disclosures-to = Kenelle
disclosures-purpose = Mihin
disclosures-what = Mitä
disclosures-how = Miten
disclosure-via-audience_export = heille tehty luettelo
disclosure-via-webhook = viesti heidän järjestelmäänsä

## Yhteydenotot
contact-title = Miten saamme ottaa yhteyttä
contact-intro = Valitse kanavat, joita saamme käyttää, ja montako viestiä haluat enintään. Kanavaa, jota et rastita, ei käytetä.
contact-channels = Kanavat
channel-email = Sähköposti
channel-sms = Tekstiviesti
channel-phone = Puhelu
channel-post = Kirje
channel-web = Viestit verkkosivuillamme
contact-max = Enintään näin monta viestiä viikossa
contact-max-hint = Jätä tyhjäksi, jos et halua omaa rajaa. 0 tarkoittaa, ettei viestejä lähetetä.
contact-language = Viestien kieli
contact-save = Tallenna yhteydenottoasetukset
contact-saved = Yhteydenottoasetuksesi tallennettiin.

## Sähköpostiosoite ja sen vahvistus
email-title = Sähköpostiosoitteesi
email-in-use = Käytössä oleva osoite
email-none = Mikään osoite ei ole käytössä.
email-pending = Odottaa vahvistusta
email-pending-text = Lähetimme linkin uuteen osoitteeseen. Kunnes avaat sen ja vahvistat, käytämme yllä olevaa osoitetta emmekä lähetä uuteen mitään muuta.
email-new = Uusi sähköpostiosoite
email-new-hint = Lähetämme siihen vahvistuslinkin. Uusi osoite otetaan käyttöön vasta, kun vahvistat sen.
email-save = Vaihda osoite
email-sent = Jos osoitteeseen voi nyt lähettää uuden linkin, lähetimme sen. Avaa linkki vahvistaaksesi osoitteen.
email-change-link = Vaihda sähköpostiosoitteesi
confirm-email-title = Vahvista sähköpostiosoitteesi
confirm-email-text = Vahvista, että tämä osoite on sinun ja että saamme käyttää sitä. Mikään ei muutu ennen kuin painat painiketta.
confirm-email-button = Vahvista osoitteeni
confirm-email-done-title = Osoite vahvistettu
confirm-email-done-text = Kiitos. Sähköpostiosoitteesi on vahvistettu ja käytössä.
confirm-email-sign-in = Kirjaudu asetuskeskukseesi
confirm-email-invalid = Tämä vahvistuslinkki on jo käytetty, vanhentunut tai virheellinen. Mitään ei muutettu.
confirm-mail-subject = Vahvista sähköpostiosoitteesi
confirm-mail-intro = Tämä osoite annettiin yritykselle { $controller }. Avaa tämä linkki vahvistaaksesi, että osoite on sinun:
confirm-mail-expiry = { $days ->
    [one] Linkki toimii kerran, { $days } päivän ajan.
   *[other] Linkki toimii kerran, { $days } päivän ajan.
}
confirm-mail-not-you = Jos se et ollut sinä, jätä viesti huomiotta: emme lähetä tähän osoitteeseen mitään muuta, ellei sitä vahvisteta.

## Tarjoukset
offers-title = Miksi näen nämä tarjoukset?
offers-intro = Nämä ovat tarjoukset, jotka näyttäisimme sinulle nyt. Jokaisen kohdalla näet vastaukset, joihin se perustuu, missä ja milloin annoit ne sekä suostumuksen, joka sen salli. Muita tietoja sinusta ei käytetä.
offers-none = Mikään tarjous ei nyt sovi. Tarjouksia näytetään vain sallimillasi kanavilla ja tarkoituksiin, joihin olet suostunut.
offers-because = Koska kerroit meille:
offers-not-opted-in = Et ole sallinut yhtään kanavaa, joten sinulle ei tehdä tarjouksia.
offers-consent = Sallittu suostumuksellasi tarkoitukseen "{ $purpose }", annettu { $date }.
offers-basis = Perusteena "{ $purpose }", joka ei edellytä suostumustasi.
offers-generic = Näytetään kaikille: ei käytä vastauksiasi.
offers-channels = Kanavat:
offers-change = Muuta suostumuksiasi

## Historia ja kuitit
history-title = Suostumushistoria ja kuitit
history-intro = Jokainen antamasi, epäämäsi tai perumasi suostumus, uusin ensin. Jokaisesta on kuitti.
history-none = Ei vielä suostumustapahtumia.
history-when = Milloin
history-purpose = Tarkoitus
history-state = Valinta
history-where = Missä
history-receipt = Kuitti
history-open-receipt = Avaa kuitti
state-given = Annettu
state-refused = Kieltäydytty
state-withdrawn = Peruttu
state-expired = Vanhentunut
state-renewed = Uusittu
receipt-title = Suostumuskuitti
receipt-id = Tunniste
receipt-intro = Alla oleva kuitti on ISO/IEC TS 27560 -muodossa.
receipt-download = Lataa kuitti (JSON)
receipt-back = Takaisin historiaan

## Lataa ja poista
data-title = Lataa tai poista tietosi
data-download-title = Lataa kaikki
data-download-intro = Yksi tiedosto (JSON), jossa on kaikki, mitä meillä on sinusta: vastaukset sekä missä ja milloin annoit ne, tarkoitukset, vastaanottajat, säilytysajat, suostumushistoria ja se, kuka on lukenut tietojasi.
data-download = Lataa tietoni (JSON)
data-delete-title = Poista kaikki
data-delete-intro = Poistaa kaikki vastauksesi ja tietosi. Sinulta kysytään vahvistus kerran.
data-delete = Poista kaikki
data-id-title = Pseudonyyminen tunnisteesi
data-id-intro = Jos otat meihin yhteyttä tietojesi vuoksi, tämä tunniste auttaa meitä löytämään ne:
delete-title = Poistetaanko kaikki?
delete-will-delete = { $count ->
    [one] Poistamme { $count } vastauksen, tietosi, yhteydenottoasetuksesi ja kirjautumisistuntosi.
   *[other] Poistamme { $count } vastausta, tietosi, yhteydenottoasetuksesi ja kirjautumisistuntosi.
}
delete-will-keep = { $count ->
    [one] Todisteeksi valinnoistasi säilytämme { $count } suostumustapahtuman pseudonyymillä tunnisteella, ilman vastauksiasi tai tietojasi.
   *[other] Todisteeksi valinnoistasi säilytämme { $count } suostumustapahtumaa pseudonyymillä tunnisteella, ilman vastauksiasi tai tietojasi.
}
delete-final = Tätä ei voi perua.
delete-confirm = Kyllä, poista kaikki
delete-cancel = Ei, säilytä tietoni
deleted-title = Tietosi poistettiin
deleted-answers = { $count ->
    [one] Poistimme { $count } vastauksen sekä kaikki tietosi, yhteydenottoasetuksesi ja istuntosi. Salausavaimesi tuhottiin, joten myöskään varmuuskopioissa olevia kopioita ei voi lukea.
   *[other] Poistimme { $count } vastausta sekä kaikki tietosi, yhteydenottoasetuksesi ja istuntosi. Salausavaimesi tuhottiin, joten myöskään varmuuskopioissa olevia kopioita ei voi lukea.
}
deleted-remains-title = Mitä jää jäljelle
deleted-kept = { $count ->
    [one] { $count } suostumustapahtuma jää pseudonyymillä tunnisteella todisteeksi valinnoistasi. Siinä ei ole vastauksiasi eikä tietojasi.
   *[other] { $count } suostumustapahtumaa jää pseudonyymillä tunnisteella todisteeksi valinnoistasi. Niissä ei ole vastauksiasi eikä tietojasi.
}
deleted-suppression = Jos annoit sähköpostiosoitteen, siitä laskettu avaimellinen tiiviste jää estolistalle, jotta emme koskaan ota sinuun yhteyttä vahingossa.

## Tietosuojaseloste
privacy-title = Tietosuojaseloste
privacy-version = Versio { $version }
privacy-version-label = Versio
privacy-versions = Selosteen versiot
privacy-intro = Tämä seloste luodaan siitä, mitä olemme todella määrittäneet: jokainen käyttötarkoitus, sen käyttämät tiedot, niiden vastaanottajat ja säilytysaika.
privacy-controller = Rekisterinpitäjä
privacy-controller-name = Nimi
privacy-address = Osoite
privacy-email = Sähköposti
privacy-purposes = Käyttötarkoitukset
privacy-special = { $category } (erityinen tietoryhmä, vain nimenomaisella suostumuksella)
privacy-source-title = Mistä tiedot saadaan
privacy-source = Vain sinulta: tallennamme sen, minkä kerrot lomakkeissamme ja asetuskeskuksessasi, sekä sen, missä ja milloin kerroit sen. Emme kerää tietoja käyttäytymisestäsi emmekä päättele sinusta mitään.
privacy-rights-title = Oikeutesi
privacy-rights = Voit milloin tahansa nähdä, korjata, ladata ja poistaa tietosi sekä perua minkä tahansa suostumuksen asetuskeskuksessasi. Voit myös pyytää käsittelyn rajoittamista, vastustaa suoramarkkinointia tai tehdä valituksen valvontaviranomaiselle (Suomessa tietosuojavaltuutetun toimisto).
privacy-security-title = Tietoturva
privacy-security = Vastauksesi salataan omalla avaimellasi. Kun poistat tietosi, avain tuhotaan.
privacy-cookies-title = Evästeet
privacy-cookies = Käytämme vain välttämättömiä evästeitä: yksi pitää sinut kirjautuneena, yksi suojaa lomakkeita väärennöksiltä ja yksi muistaa kielesi. Ei seuranta- eikä mainosevästeitä.
privacy-gpc-title = Global Privacy Control
privacy-gpc = Jos selaimesi lähettää Global Privacy Control -signaalin, kun olet kirjautunut, kirjaamme sen vastustukseksi tietojesi luovuttamiselle tai myymiselle.

## Ylläpito
admin-title = Yleiskatsaus
admin-login-title = Henkilökunnan kirjautuminen
admin-login-intro = Kirjaudu sähköpostiosoitteellasi, salasanallasi ja todennussovelluksesi kuusinumeroisella koodilla.
admin-sign-in = Kirjaudu
admin-login-failed = Osoite, salasana tai koodi ei ole oikein. Toistuvien virheiden jälkeen kirjautuminen keskeytetään hetkeksi.
admin-subjects = { $count ->
    [one] { $count } asiakasprofiili.
   *[other] { $count } asiakasprofiilia.
}
admin-read-only = Tämä yleiskatsaus on vain luettavissa ja näyttää vain yhteenvetoja.
admin-as-table = Näytä taulukkona
admin-count = Määrä
admin-consent-title = Suostumusosuus tarkoituksittain viikoittain
admin-consent-hint = Annettujen suostumusten osuus kaikista viikon valinnoista (annettu, kieltäydytty tai peruttu).
admin-consent-axis = Annetut suostumukset (%)
admin-answers-title = Annetut vastaukset
admin-answers-hint = Rajoittamattomien profiilien nykyiset vastaukset. Vapaata tekstiä, lukuja, päivämääriä ja erityisiä tietoryhmiä ei näytetä kaavioina.
admin-rights-title = Oikeuspyynnöt ja poistot viikoittain
admin-rights-axis = Pyynnöt
admin-rights-rectification = Korjaukset
admin-rights-withdrawal = Perumiset
admin-rights-export = Lataukset
admin-rights-erasure = Poistot
admin-min-title = Tietojen minimointiraportti
admin-min-no-engine = Attribuutit, joita mikään voimassa oleva tarjous ei lue, ja kuinka monella on niihin arvo. Harkitse, kannattaako niitä kysyä tai säilyttää.
admin-min-unasked = Attribuutit, joita mikään lomake ei kysy
admin-min-none = Jokaista attribuuttia kysytään vähintään yhdessä lomakkeessa.
admin-min-held = { $count ->
    [one] { $count } vastaus tallessa
   *[other] { $count } vastausta tallessa
}
admin-min-unread = Attribuutit, joita mikään tarjous ei lue
admin-min-all-read = Jokaista attribuuttia, johon jollakulla on arvo, lukee jokin voimassa oleva tarjous.

# Staff sign-in, invites, the second factor and sessions
admin-email = Sähköpostiosoite
admin-password = Salasana
admin-code = Todennussovelluksen koodi
admin-code-hint = Kuusi numeroa tai jokin varakoodeistasi. Jätä tyhjäksi, jos roolisi kirjautuu ilman koodia.
admin-invite-title = Ota henkilöstötilisi käyttöön
admin-invite-intro = Valitse salasana. Jos roolisi näkee henkilötietoja, otat sen jälkeen käyttöön todennussovelluksen.
admin-name = Nimi
admin-role = Rooli
admin-state = Tila
admin-new-password = Uusi salasana
admin-password-hint = Vähintään { $count } merkkiä. Pitkä lause on helpoin muistaa.
admin-password-again = Sama salasana uudelleen
admin-set-password = Aseta salasana
admin-password-mismatch = Salasanat eivät ole samat.
admin-password-rule = Tätä salasanaa ei voi käyttää:
admin-invite-invalid = Tämä kutsulinkki ei enää toimi: se on käytetty, korvattu tai vanhentunut. Pyydä ylläpitäjältä uusi.
admin-enrol-title = Ota todennussovellus käyttöön
admin-enrol-intro = Skannaa koodi todennussovelluksella (RFC 6238, esimerkiksi puhelimessasi) ja kirjoita sen näyttämät kuusi numeroa.
admin-enrol-qr = Kirjautumissalaisuutesi QR-koodi
admin-enrol-secret = Jos et voi skannata, kirjoita tämä salaisuus sovellukseen:
admin-enrol-confirm = Vahvista
admin-code-wrong = Koodi ei ole oikein. Tarkista laitteesi aika ja kirjoita uusin koodi.
admin-codes-title = Varakoodisi
admin-codes-intro = Kukin koodi kirjaa sinut sisään kerran, jos kadotat laitteesi. Säilytä ne turvassa: ne näytetään vain nyt.
admin-codes-download = Lataa koodit
admin-codes-continue = Jatka yleiskatsaukseen
admin-sessions-title = Istunnot
admin-sessions-intro = Missä olet kirjautuneena. Istunto päättyy 30 minuutin käyttämättömyyden jälkeen ja viimeistään 12 tuntia kirjautumisesta.
admin-session-browser = Selain
admin-session-started = Kirjautunut
admin-session-seen = Viimeksi käytetty
admin-session-end = Päätä istunto
admin-session-this = tämä selain
admin-staff-title = Henkilöstö
admin-staff-intro = Henkilöstön tilit. Kutsu, muuta ja poista käytöstä API:n kautta (/v1/staff).
admin-staff-all-sessions = Kaikkien istunnot
admin-staff-end-sessions = Päätä kaikki istunnot
admin-nav-label = Henkilöstön sivut
admin-nav-overview = Yleiskatsaus
admin-nav-staff = Henkilöstö
admin-nav-sessions = Istunnot
## Henkilöstön navigointi ja tapahtumaloki
admin-nav-audit = Tapahtumaloki
audit-title = Tapahtumaloki
audit-intro = Henkilöstön jokainen henkilötietojen luku ja muutos sekä asiakkaiden jokainen muutos samassa tiivisteketjutetussa lokissa. Myös lokin katselu ja lataus kirjataan tähän.
audit-filters = Rajaukset
audit-actor = Henkilö tai tunnus
audit-actor-hint = Henkilön tai tunnisteen id (stf_… tai tok_…: kaikki, mitä he tekivät, missä tahansa roolissa), tekijä kuten kirjattu, esimerkiksi staff:admin:tok_…, tai sen alku kaksoispisteeseen asti, esimerkiksi staff:admin.
audit-subject = Asiakas (tunniste)
audit-action = Toiminto
audit-from = Alkaen
audit-to = Asti
audit-before = Sivu
audit-date-hint = Päivämäärä muodossa VVVV-KK-PP (UTC), esimerkiksi 2026-03-01.
audit-apply = Näytä
audit-clear = Poista rajaukset
audit-export = Lataa nämä merkinnät
audit-export-csv = CSV
audit-export-json = JSON
audit-caption = Tapahtumalokin merkinnät, uusin ensin
audit-col-seq = Nro
audit-col-time = Aika (UTC)
audit-col-actor = Tekijä
audit-col-action = Toiminto
audit-col-subject = Asiakas
audit-col-detail = Tiedot
audit-none = Yksikään merkintä ei vastaa rajauksia.
audit-pages = Merkintöjen sivut
audit-older = Vanhemmat merkinnät
audit-newest = Uusimmat merkinnät
audit-bad-input = Tarkista rajaus ”{ $field }”:
audit-bad-actor = Kirjoita enintään 200 merkkiä ilman rivinvaihtoja.
audit-bad-subject = Kirjoita asiakkaan tunniste, esimerkiksi sub_01J2Q8X4ZP0000000000000000.
audit-bad-action = Kirjoita toiminnon nimi pienin kirjaimin, esimerkiksi subject_read.
audit-bad-date = Kirjoita päivämäärä muodossa VVVV-KK-PP, esimerkiksi 2026-03-01.
audit-bad-range = Loppupäivä on ennen alkupäivää.
audit-bad-before = Sivulinkki ei kelpaa; aloita uudelleen uusimmista merkinnöistä.
audit-chain-title = Eheys
audit-chain-intact = { $count ->
    [one] Tiivisteketju on ehjä: { $count } merkintä tarkistettu.
   *[other] Tiivisteketju on ehjä: { $count } merkintää tarkistettu.
}
audit-chain-broken = Ketju on katki merkinnän { $seq } kohdalla: { $reason }
audit-chain-end = Loki päättyy merkintään { $end }.
audit-chain-tail = Tarkistuspiste { $checkpoint } takaa merkinnän { $head }: lopusta on poistettu merkintöjä.
audit-chain-rewritten = Merkintä { $seq } ei enää vastaa tarkistuspistettä { $checkpoint }: lokia on kirjoitettu uudelleen.
audit-chain-forged = Tarkistuspistettä { $checkpoint } ei ole allekirjoitettu tämän asennuksen avaimella: se on väärennetty.
audit-checkpoint-none = Tarkistuspistettä ei ole vielä kirjoitettu.
audit-checkpoint-newest = Uusin varmistettu tarkistuspiste, numero { $checkpoint }, takaa lokin merkintään { $head } asti.
audit-checkpoint-since = { $count ->
    [0] Uudempia merkintöjä ei ole.
    [one] { $count } uudempi merkintä ei ole vielä tarkistuspisteen takaama.
   *[other] { $count } uudempaa merkintää ei ole vielä tarkistuspisteen takaamia.
}

## Campaign messages and the one-click unsubscribe
campaign-why = Saat tämän viestin, koska kerroit meille { $answers } ja suostuit käyttötarkoitukseen "{ $purpose }".
campaign-why-consent = Saat tämän viestin, koska suostuit käyttötarkoitukseen "{ $purpose }".
campaign-preferences = Valitse, mitä lähetämme sinulle ja kuinka usein: { $url }
campaign-unsubscribe = Lopeta sähköpostit aiheesta "{ $purpose }" yhdellä napsautuksella: { $url }
unsubscribe-title = Peru tilaus
unsubscribe-question = Lopetetaanko sähköpostit aiheesta "{ $purpose }"?
unsubscribe-explain = Kuulet meistä yhä muista asioista, jotka olet valinnut. Voit muuttaa tätä asetuskeskuksessasi milloin tahansa.
unsubscribe-button = Lopeta nämä sähköpostit
unsubscribe-done = Valmis: emme enää lähetä sähköpostia aiheesta "{ $purpose }".
unsubscribe-already = Olet jo lopettanut sähköpostit aiheesta "{ $purpose }".
unsubscribe-neutral = Tällä linkillä ei ole mitään muutettavaa.
unsubscribe-preferences = Avaa asetuskeskuksesi

## Rights requests (staff, /admin/requests)
admin-nav-requests = Oikeuspyynnöt
requests-title = Oikeuspyynnöt
requests-one-title = Oikeuspyyntö
requests-intro = Pyynnöt nähdä, oikaista, poistaa, rajoittaa, vastustaa tai siirtää tietoja. Kukin on hoidettava kalenterikuukauden kuluessa vastaanotosta; määräaikaa voi perustellusta syystä jatkaa kahdella kuukaudella. Asiakkaan omat toimet asetussivulla näkyvät valmiina pyyntöinä.
requests-filter = Näytä
requests-state-open = Avoimet
requests-state-overdue = Myöhässä
requests-state-all = Kaikki
requests-state-completed = Valmis
requests-export-csv = Lataa CSV-tiedostona
requests-none = Ei pyyntöjä.
requests-caption = Pyynnöt, aikaisin määräaika ensin
requests-col-due = Määräaika
requests-col-kind = Oikeus
requests-col-subject = Asiakas
requests-col-received = Vastaanotettu
requests-col-state = Tila
requests-overdue = Myöhässä
requests-record = Kirjaa sähköpostilla, postitse tai puhelimessa tullut pyyntö
requests-subject = Asiakkaan tunniste
requests-subject-hint = Tunniste alkaa sub_, ja se löytyy asiakkaan tiedoista.
requests-kind = Oikeus
requests-received = Vastaanottopäivä
requests-received-hint = Jätä tyhjäksi, jos pyyntö tuli tänään.
requests-channel = Tuli
requests-note = Muistiinpano
requests-note-hint = Vapaaehtoinen. Älä kopioi asiakkaan viestiä tähän: muistiinpano poistetaan, kun asiakkaan tiedot poistetaan.
requests-record-submit = Kirjaa pyyntö
requests-kind-access = Tietojen näkeminen
requests-kind-rectification = Oikaisu
requests-kind-erasure = Poistaminen
requests-kind-restriction = Käsittelyn rajoittaminen
requests-kind-objection = Vastustaminen
requests-kind-portability = Siirtäminen
requests-channel-email = Sähköpostilla
requests-channel-post = Postitse
requests-channel-phone = Puhelimessa
requests-channel-in_person = Henkilökohtaisesti
requests-channel-web = Verkkolomakkeella
requests-channel-other = Muuten
requests-channel-self_service = Itsepalveluna
requests-back = Kaikki pyynnöt
requests-identity = Henkilöllisyys varmistettu
requests-identity-not-yet = Ei vielä
requests-extension = Jatkettu
requests-evidence = Selvitys
requests-evidence-hint = Mitä tehtiin ja milloin, esimerkiksi "tiedot lähetetty varmistettuun osoitteeseen 2.3.".
requests-verify = Merkitse pyytäjän henkilöllisyys varmistetuksi
requests-erase-warning = Tämä poistaa heti kaiken asiakkaasta säilytetyn ja kirjaa sen tähän pyyntöön. Poistoa ei voi perua.
requests-erase = Poista asiakkaan tiedot
requests-export = Lataa asiakkaan tiedot (JSON) ja merkitse pyyntö valmiiksi
requests-extend = Jatka määräaikaa
requests-months = Kuukausia
requests-reason = Syy
requests-extend-submit = Jatka
requests-complete = Merkitse pyyntö valmiiksi
requests-complete-submit = Valmis
## The breach register (web/breaches.rs)
admin-nav-breaches = Tietoturvaloukkaukset
breach-title = Tietoturvaloukkausrekisteri
breach-intro = Henkilötietojen tietoturvaloukkaukset ja kunkin 72 tunnin määräaika ilmoittaa valvontaviranomaiselle (tietosuoja-asetuksen 33 artikla). Kirjaa ja päivitä ne rajapinnan kautta (/v1/breaches); jokainen muutos on tapahtumalokissa.
breach-as-of = Tilanne { $time }.
breach-refresh = Päivitä
breach-export-csv = Lataa rekisteri (CSV)
breach-none = Tietoturvaloukkauksia ei ole kirjattu.
breach-caption = Tietoturvaloukkaukset, viimeksi havaittu ensin
breach-col-aware = Havaittu
breach-col-deadline = Ilmoituksen määräaika
breach-col-status = Tila
breach-col-stage = Vaihe
breach-col-nature = Luonne
breach-left = { $hours } h { $minutes } min aikaa ilmoittaa viranomaiselle
breach-overdue = Myöhässä { $hours } h { $minutes } min: viranomaiselle ei ole ilmoitettu
breach-notified = Viranomaiselle ilmoitettu { $time }
breach-notified-late = Viranomaiselle ilmoitettu { $time }, määräajan jälkeen
breach-stage-investigating = Selvitetään
breach-stage-contained = Rajattu
breach-stage-resolved = Hoidettu
breach-back = Kaikki tietoturvaloukkaukset
breach-detail-title = Tietoturvaloukkaus
breach-nature = Loukkauksen luonne
breach-data-categories = Henkilötietoryhmät
breach-subject-categories = Rekisteröityjen ryhmät
breach-approx-subjects = Rekisteröityjen arvioitu määrä
breach-approx-records = Henkilötietotietueiden arvioitu määrä
breach-contact-point = Yhteyspiste lisätietoja varten
breach-consequences = Todennäköiset seuraukset
breach-measures = Toteutetut tai ehdotetut toimenpiteet
breach-notification-title = Ilmoitus henkilötietojen tietoturvaloukkauksesta (tietosuoja-asetuksen 33 artikla)
breach-notification-intro = Ilmoitus valvontaviranomaiselle henkilötietojen tietoturvaloukkauksesta yleisen tietosuoja-asetuksen 33 artiklan mukaisesti.
breach-notified-ref = Ilmoitettu { $time }, viite { $reference }.
breach-not-notified = Viranomaiselle ei ole vielä ilmoitettu.
breach-late-reason = Syyt viivästykseen
breach-notification-print = Tulostettava ilmoitus
breach-scope-title = Loukkauksen kohteena olevat henkilöt
breach-scope-window = Laskettu tapahtumalokista ajalta { $window }.
breach-scope-counts = { $subjects } henkilöä, { $records } tietuetta.
breach-scope-unnamed = { $count ->
    [one] Lisäksi kohderyhmien vienneissä oli { $count } henkilö, jota tapahtumaloki ei nimeä.
   *[other] Lisäksi kohderyhmien vienneissä oli { $count } henkilöä, joita tapahtumaloki ei nimeä.
}
breach-scope-computed = Laskettu { $time }, laskija { $actor }.
breach-scope-none = Ei vielä laskettu (POST /v1/breaches/…/scope).
breach-subjects-download = Lataa henkilöiden tunnisteet (CSV; kirjataan tapahtumalokiin)
breach-messages-counts = Viestit henkilöille (34 artikla): { $sent } lähetetty, { $skipped } lähettämättä.
breach-phases-title = Historia
breach-phase = { $phase ->
    [0] Kirjattu
   *[other] Päivitys { $phase }
}
breach-phase-changed = Muutettu: { $fields }
breach-controller = Rekisterinpitäjä
breach-dpo = Tietosuojavastaava
breach-id = Tietoturvaloukkaus
breach-notified-at = Ilmoitettu
breach-generated = Luotu { $time }.
breach-mail-subject = Tietojasi koskeva tietoturvaloukkaus: { $controller }
breach-mail-intro = Kerromme henkilötietojen tietoturvaloukkauksesta, joka on tapahtunut { $controller } -palvelussa ja koskee sinun henkilötietojasi.
breach-mail-consequences = Mitä se voi merkitä sinulle:
breach-mail-measures = Mitä olemme tehneet ja mitä ehdotamme:
breach-mail-contact = Lisätietoja: { $contact }
breach-mail-preferences = Tietosi ja valintasi: { $url }
breach-messages-title = Viestit henkilöille (34 artikla)
breach-col-time = Aika
breach-col-subject = Henkilö
breach-col-lang = Kieli
breach-col-outcome = Tulos
breach-col-by = Lähettäjä
breach-outcome-sent = lähetetty
breach-outcome-failed = epäonnistui
breach-outcome-skipped = ei lähetetty
breach-form-text = Mitä uutta
breach-form-keep-stage = (ennallaan)
breach-form-add-update = Lisää päivitys
breach-form-authority-ref = Viranomaisen viite
breach-form-time-hint = RFC 3339 UTC-ajassa, esimerkiksi 2026-03-02T10:00:00Z.
breach-form-late-hint = Pakollinen, jos ilmoitus tehdään määräajan jälkeen.
breach-form-notify = Kirjaa ilmoitus
breach-form-input = Lomake
breach-form-conflict = tämä on jo kirjattu.
breach-form-late = ilmoitus on määräajan jälkeen: kerro syyt viivästykseen.
breach-form-time = ei RFC 3339 -aika, tulevaisuudessa tai ennen kuin loukkaus havaittiin.
breach-form-text-rule = ei saa olla tyhjä, enintään 10 000 merkkiä (viite yhdellä rivillä enintään 500).

## The record of processing activities (/admin/records)
admin-nav-records = Selosteet
records-title = Seloste käsittelytoimista
records-intro = Koottu käyttötarkoituksista, kysymyksistä, vastaanottajista ja asetuksista (tietosuoja-asetuksen 30 artiklan 1 kohta). Jokainen muutos tekee uuden version; aiemmat versiot säilyvät luettavina sellaisinaan.
records-version = Versio { $version }
records-controller = Rekisterinpitäjä
records-dpo = Tietosuojavastaava
records-none = Käyttötarkoituksia ei ole vielä määritelty.
records-basis = Käsittelyperuste
records-subjects = Rekisteröityjen ryhmät
records-data = Henkilötietoryhmät
records-recipients = Vastaanottajat
records-transfers = Siirrot ETA-alueen ulkopuolelle
records-retention = Poistetaan
records-gaps = Puuttuu
records-security = Turvatoimet
records-export-csv = Lataa CSV-tiedostona
records-export-print = Tulostettava versio
records-recipients-register = Vastaanottajarekisteri
records-no-recipients = Vastaanottajia ei ole rekisteröity.
records-col-name = Nimi
records-col-country = Maa
records-col-role = Rooli
records-col-safeguard = Suojatoimi
records-versions = Versiot
records-disclosed = Luovutukset vastaanottajille
records-disclosed-none = Tietoja ei ole luovutettu yhdellekään vastaanottajalle.
records-disclosed-to = Vastaanottaja
records-disclosed-count = Luovutuksia
records-disclosed-subjects = Rekisteröityjä
records-disclosed-last = Viimeisin
records-disclosed-csv = Lataa luovutusrekisteri (CSV; lataus kirjataan lokiin)
records-no-versions = Versioita ei ole vielä tehty.
records-role-controller = rekisterinpitäjä
records-role-processor = henkilötietojen käsittelijä
records-safeguard-adequacy_decision = tietosuojan riittävyyttä koskeva päätös (45 art.)
records-safeguard-standard_contractual_clauses = vakiosopimuslausekkeet (46 art.)
records-safeguard-binding_corporate_rules = yritystä koskevat sitovat säännöt (47 art.)
records-safeguard-code_of_conduct = käytännesäännöt (46 art.)
records-safeguard-certification = sertifiointi (46 art.)
records-safeguard-derogation = poikkeus erityistilanteessa (49 art.)
explicit-statement = Annan nimenomaisen suostumukseni vastaukseni kysymykseen ”{ $question }” käsittelyyn. Se on erityisiin henkilötietoryhmiin kuuluva tieto (tietosuoja-asetuksen 9 artikla), ja sitä käytetään mainittuihin tarkoituksiin. Ilman tätä vastausta ei tallenneta.
error-explicit-needed = Tämä vastaus kuuluu erityisiin henkilötietoryhmiin: rastita sen alla oleva nimenomainen suostumus tai jätä kysymys tyhjäksi.
