import type { ProblemSlug } from './problem.js';

/**
 * The languages a problem's `title` and `detail` are written in. Nynorsk falls back to bokmål
 * (no nynorsk texts are written yet); `type` never changes, so a client can map it to its own text.
 */
export type ProblemLanguage = 'en' | 'nb';

const LANGUAGES: Record<string, ProblemLanguage> = { nb: 'nb', nn: 'nb', no: 'nb', en: 'en' };

/** The caller's preferred language by `Accept-Language` (RFC 9110 weights), English when none is ours. */
export function problemLanguage(acceptLanguage: string | null | undefined): ProblemLanguage {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .map((entry, index) => {
      const [tag = '', ...parameters] = entry.trim().split(';');
      const weight = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/.exec(parameter)?.[1]).find((value) => value !== undefined);
      return { language: LANGUAGES[tag.trim().toLowerCase().split('-')[0] ?? ''], weight: weight === undefined ? 1 : Number(weight), index };
    })
    .filter((entry) => entry.language !== undefined && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranked[0]?.language ?? 'en';
}

export const TITLES_NB: Record<ProblemSlug, string> = {
  'validation': 'Ugyldig forespørsel',
  'malformed-json': 'Ugyldig JSON',
  'invalid-continuation-token': 'Ugyldig fortsettelsesnøkkel',
  'unauthenticated': 'Innlogging kreves',
  'forbidden': 'Ikke tillatt',
  'consent-required': 'Samtykke kreves',
  'csrf-check-failed': 'Ikke tillatt',
  'not-found': 'Ikke funnet',
  'method-not-allowed': 'Metoden er ikke tillatt',
  'conflict': 'Konflikt',
  'idempotency-key-in-use': 'Forespørselen behandles',
  'gone': 'Finnes ikke lenger',
  'precondition-failed': 'Endret siden du leste',
  'payload-too-large': 'For stor forespørsel',
  'unsupported-media-type': 'Innholdstypen støttes ikke',
  'idempotency-key-reused': 'Idempotensnøkkelen er brukt før',
  'disclosure-required': 'En registrert utlevering kreves',
  'precondition-required': 'If-Match kreves',
  'rate-limited': 'For mange forespørsler',
  'internal': 'Intern feil',
  'export-file-missing': 'Eksportfilen mangler',
  'unavailable': 'Tjenesten er ikke tilgjengelig',
};

/** Said when a detail has no translation below: what the type means, in bokmål. */
const GENERIC_DETAILS_NB: Record<ProblemSlug, string> = {
  'validation': 'Ett eller flere felt er ugyldige; se errors',
  'malformed-json': 'Forespørselen er ikke gyldig JSON',
  'invalid-continuation-token': 'Fortsettelsesnøkkelen er ikke utstedt for denne listen',
  'unauthenticated': 'Logg inn på nytt',
  'forbidden': 'Rollene dine tillater ikke dette',
  'consent-required': 'Dette krever brukerens samtykke',
  'csrf-check-failed': 'Endringen kan ikke gjøres med denne økten',
  'not-found': 'Ressursen finnes ikke',
  'method-not-allowed': 'Stien støtter ikke denne metoden',
  'conflict': 'Forespørselen er i konflikt med gjeldende tilstand',
  'idempotency-key-in-use': 'En forespørsel med denne Idempotency-Key behandles fortsatt; prøv igjen om litt',
  'gone': 'Ressursen er utløpt',
  'precondition-failed': 'Ressursen er endret siden du leste den; les den på nytt',
  'payload-too-large': 'Forespørselen er for stor',
  'unsupported-media-type': 'Send JSON',
  'idempotency-key-reused': 'Denne Idempotency-Key ble sendt med en annen forespørsel; bruk en ny nøkkel',
  'disclosure-required': 'En eksport til tredjepart krever en registrert utlevering',
  'precondition-required': 'Send If-Match med ETag-en du leste',
  'rate-limited': 'Vent før du prøver igjen',
  'internal': 'Noe feilet hos oss',
  'export-file-missing': 'Eksportfilen mangler hos oss; be om en ny eksport',
  'unavailable': 'Prøv igjen om litt; ingenting ble endret',
};

type Translation = readonly [RegExp, (...groups: string[]) => string];

const same = (text: string) => () => text;

/** Every detail the API writes, in bokmål: fixed texts and the ones that carry a number or a state. */
const DETAILS_NB: readonly Translation[] = [
  // lib/http/problem.ts
  [/^(\d+) field\(s\) failed validation(; the first (\d+) are listed)?$/, (count = '', listed, first = '') => `${count} felt er ugyldige${listed ? `; de første ${first} er listet` : ''}`],
  [/^The request body is not valid JSON$/, same('Forespørselen er ikke gyldig JSON')],
  [/^Your roles do not allow this operation$/, same('Rollene dine tillater ikke denne operasjonen')],
  [/^No such resource$/, same('Ressursen finnes ikke')],
  [/^No such route$/, same('Stien finnes ikke')],
  [/^No such timer function$/, same('Tidsfunksjonen finnes ikke')],
  [/^Allowed: (.+)$/, (methods = '') => `Tillatt: ${methods}`],
  [/^The resource changed since you read it; read it again$/, same('Ressursen er endret siden du leste den; les den på nytt')],
  [/^The body exceeds (\d+) bytes$/, (limit = '') => `Forespørselen er større enn ${limit} byte`],
  [/^Send If-Match with the ETag you read$/, same('Send If-Match med ETag-en du leste')],
  [/^Send (.+)$/, (types = '') => `Send ${types.replace(' or ', ' eller ')}`],
  [/^Something failed on our side; reference (.+)$/, (reference = '') => `Noe feilet hos oss; referanse ${reference}`],
  // Authentication and sessions
  [/^a bearer token is required$/, same('et bearer-token kreves')],
  [/^a bearer token is required \(or, in a browser, a session cookie\)$/, same('et bearer-token kreves (eller, i en nettleser, en øktinformasjonskapsel)')],
  [/^a session is started with a bearer token$/, same('en økt startes med et bearer-token')],
  [/^the Authorization header must be "Bearer <token>"$/, same('Authorization-headeren må være "Bearer <token>"')],
  [/^the token has expired$/, same('tokenet er utløpt')],
  [/^the token is not valid yet$/, same('tokenet er ikke gyldig ennå')],
  [/^the token's (\w+) claim is not accepted$/, (claim = '') => `tokenets ${claim}-påstand godtas ikke`],
  [/^the token algorithm is not allowed$/, same('tokenets algoritme er ikke tillatt')],
  [/^the token signature is invalid$/, same('tokenets signatur er ugyldig')],
  [/^no trusted key matches the token$/, same('ingen klarert nøkkel passer til tokenet')],
  [/^the token could not be verified$/, same('tokenet kunne ikke verifiseres')],
  [/^the token has no subject$/, same('tokenet mangler subjekt (sub)')],
  [/^the token is not a well-formed JWT$/, same('tokenet er ikke et gyldig JWT')],
  [/^the token issuer is not trusted$/, same('tokenets utsteder er ikke klarert')],
  [/^The session has ended or never existed; sign in again$/, same('Økten er avsluttet eller har aldri eksistert; logg inn på nytt')],
  [/^Changes made with a session cookie need the header X-Requested-With: (.+)$/, (value = '') => `Endringer gjort med en øktinformasjonskapsel trenger headeren X-Requested-With: ${value}`],
  [/^The request comes from an origin that may not use this session$/, same('Forespørselen kommer fra et opphav som ikke kan bruke denne økten')],
  // The role model
  [/^Your identity is not registered with any municipality$/, same('Identiteten din er ikke registrert i noen kommune')],
  [/^The municipality has its admin: a platform operator registers only a municipality's first admin$/, same('Kommunen har sin administrator: en plattformoperatør registrerer bare kommunens første administrator')],
  [/^A data admin only grants and removes the data-admin role$/, same('En dataadministrator gir og fjerner bare rollen data-admin')],
  [/^A platform operator registers only the first admin: municipality-admin, and data-admin if wanted, no schools$/, same('En plattformoperatør registrerer bare den første administratoren: municipality-admin, og data-admin om ønsket, uten skoler')],
  [/^Nobody changes their own roles: ask another admin$/, same('Ingen endrer sine egne roller: spør en annen administrator')],
  [/^School admins do not manage municipality-wide staff$/, same('Skoleadministratorer forvalter ikke ansatte for hele kommunen')],
  [/^School admins may only assign their own schools$/, same('Skoleadministratorer kan bare tildele sine egne skoler')],
  [/^Your own erasure must be instructed by another data admin$/, same('Din egen sletting må instrueres av en annen dataadministrator')],
  [/^You may not grant or remove the role (.+)$/, (roles = '') => `Du kan ikke gi eller fjerne rollen ${roles}`],
  [/^The municipality would have no data admin left: grant the role to someone else first$/, same('Kommunen ville stått uten dataadministrator: gi rollen til noen andre først')],
  [/^The data admins of the municipality changed meanwhile; retry$/, same('Kommunens dataadministratorer ble endret i mellomtiden; prøv igjen')],
  [/^The municipality is being bootstrapped by another request$/, same('Kommunen settes opp av en annen forespørsel')],
  // Directory
  [/^A municipality with this id is already registered$/, same('En kommune med dette kommunenummeret er allerede registrert')],
  [/^This identity is already registered to a user in this municipality$/, same('Denne identiteten er allerede registrert på en bruker i kommunen')],
  [/^The school still has students, groups or staff$/, same('Skolen har fortsatt elever, grupper eller ansatte')],

  [/^The group still has members$/, same('Gruppen har fortsatt medlemmer')],
  [/^Remove the student from the groups of the old school first$/, same('Fjern eleven fra gruppene på den gamle skolen først')],
  [/^The identity is being registered elsewhere at this moment; retry$/, same('Identiteten registreres et annet sted akkurat nå; prøv igjen')],
  [/^Another roster import is running for this municipality; wait for it to finish \(a run that shows no progress for (\d+) minutes is taken over\)$/, (minutes = '') => `En annen import av elev- og ansattregisteret kjører for kommunen; vent til den er ferdig (en import som ikke har kommet videre på ${minutes} minutter, blir overtatt)`],
  [/^The import could not be started and wrote nothing; try again shortly$/, same('Importen kunne ikke startes og skrev ingenting; prøv igjen om litt')],
  [/^The import was superseded by a newer import of the municipality and is not resumed; start a new import with a current file$/, same('Importen er erstattet av en nyere import for kommunen og gjenopptas ikke; start en ny import med en oppdatert fil')],
  [/^The import has expired: its uploaded file or planned batches are gone \(they are kept for a day\)\. Upload the roster again and start a new import$/, same('Importen er utløpt: den opplastede filen eller de planlagte delene er borte (de oppbevares i ett døgn). Last opp registeret på nytt og start en ny import')],
  [/^The import is (\w+); only a failed import is resumed$/, (status = '') => `Importen har status ${status}; bare en mislykket import kan gjenopptas`],
  [/^The import failed a moment ago and is still stopping; resume it again in a few seconds$/, same('Importen mislyktes nettopp og holder fortsatt på å stoppe; gjenoppta den igjen om noen sekunder')],
  [/^A roster zip may be at most (\d+) MiB$/, (size = '') => `En zip-fil med registeret kan være høyst ${size} MiB`],
  // Privacy policy, consent, complaints, support
  [/^No privacy policy is in force yet$/, same('Ingen personvernerklæring gjelder ennå')],
  [/^No such consent purpose$/, same('Samtykkeformålet finnes ikke')],
  [/^This needs the user's consent to the purpose "(.+)"$/, (purpose = '') => `Dette krever brukerens samtykke til formålet «${purpose}»`],
  [/^This consent has been granted too many times; contact support$/, same('Dette samtykket er gitt for mange ganger; kontakt brukerstøtte')],
  [/^The consent changed concurrently; read it and try again$/, same('Samtykket ble endret samtidig; les det og prøv igjen')],
  [/^Your acceptances changed concurrently; try again$/, same('Godkjenningene dine ble endret samtidig; prøv igjen')],
  [/^A new version must take effect after every earlier version$/, same('En ny versjon må tre i kraft etter alle tidligere versjoner')],
  [/^A translation must have its version's changeType, reducesRights and effectiveFrom$/, same('En oversettelse må ha versjonens changeType, reducesRights og effectiveFrom')],
  [/^This version is archived in this language and can never change; publish a new version$/, same('Denne versjonen er arkivert på dette språket og kan aldri endres; publiser en ny versjon')],
  [/^A complaint that is (\S+) cannot become (\S+)$/, (from = '', to = '') => `En klage med status ${from} kan ikke få status ${to}`],
  [/^This complaint has too many follow-ups; close it$/, same('Denne klagen har for mange oppfølginger; avslutt den')],
  [/^The complaint register is busy; retry shortly$/, same('Klageregisteret er opptatt; prøv igjen om litt')],
  [/^This thread is full; open a new support request$/, same('Denne tråden er full; opprett en ny henvendelse')],
  [/^The thread changed concurrently; try again$/, same('Tråden ble endret samtidig; prøv igjen')],
  // Jobs, exports, disclosures
  [/^No such job$/, same('Jobben finnes ikke')],
  [/^The export is recorded as ready but its file is missing from storage; this is logged as an incident on our side\. Quote x-request-id to support and request a new export$/, same('Eksporten er registrert som ferdig, men filen mangler i lagringen; dette er logget som en hendelse hos oss. Oppgi x-request-id til brukerstøtte og be om en ny eksport')],
  [/^The export is (\w+); only a ready export can be downloaded$/, (status = '') => `Eksporten har status ${status}; bare en ferdig eksport kan lastes ned`],
  [/^Exports are kept for (\d+) days; request a new one$/, (days = '') => `Eksporter tas vare på i ${days} dager; be om en ny`],
  [/^An export to a third party must name a registered disclosure \(disclosureId\)$/, same('En eksport til tredjepart må vise til en registrert utlevering (disclosureId)')],
  [/^No disclosure with this id is registered for this municipality$/, same('Ingen utlevering med denne id-en er registrert i kommunen')],
  [/^The disclosure does not include this subject$/, same('Utleveringen omfatter ikke denne personen')],
  // Idempotency, limits, availability
  [/^A request with this Idempotency-Key is still being processed; retry shortly$/, same('En forespørsel med denne Idempotency-Key behandles fortsatt; prøv igjen om litt')],
  [/^This Idempotency-Key was sent with a different request; use a new key for a new request$/, same('Denne Idempotency-Key ble sendt med en annen forespørsel; bruk en ny nøkkel for en ny forespørsel')],
  [/^The limit "(.+)" allows (\d+) per (\d+) s; retry after (\d+) s$/, (name = '', quota = '', window = '', after = '') => `Grensen «${name}» tillater ${quota} per ${window} s; prøv igjen om ${after} s`],
  [/^The continuation token is not one this list issued$/, same('Fortsettelsesnøkkelen er ikke utstedt for denne listen')],
  [/^The continuation token is no longer valid$/, same('Fortsettelsesnøkkelen er ikke lenger gyldig')],
  [/^The service is not ready$/, same('Tjenesten er ikke klar')],
  [/^A dependency is unavailable; retry shortly$/, same('En tjeneste vi er avhengige av, er utilgjengelig; prøv igjen om litt')],
  [/^Storage is unavailable; retry shortly$/, same('Fillagringen er utilgjengelig; prøv igjen om litt')],
  [/^The database did not answer in time; retry shortly$/, same('Databasen svarte ikke i tide; prøv igjen om litt')],
  [/^The database is busy; retry shortly$/, same('Databasen er opptatt; prøv igjen om litt')],
  [/^Storage is busy; retry shortly$/, same('Fillagringen er opptatt; prøv igjen om litt')],
];

/** The detail in bokmål: its translation, or what its type means when it has none. */
export function detailNb(slug: ProblemSlug, detail: string): string {
  for (const [pattern, translate] of DETAILS_NB) {
    const match = pattern.exec(detail);
    if (match) return translate(...match.slice(1));
  }
  return GENERIC_DETAILS_NB[slug];
}

/** Whether a detail has its own translation (the test that every detail the code writes has one). */
export function hasTranslation(detail: string): boolean {
  return DETAILS_NB.some(([pattern]) => pattern.test(detail));
}
