"""The core field catalogue, kept as data.

Why data and not model columns: the importer's mapper, the normaliser, the
exporter and the FieldDefinition seed all need the same list of fields, their
types and the header words people use for them in many languages. Custom
fields added later have the same shape (`FieldSpec`), so code that walks
`CORE_FIELDS` works for them too.

Synonyms are written loosely (any case, accents, punctuation); the mapper
normalises both sides before comparing, so "E-Mail", "e_mail" and "EMAIL" are
one synonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Entity = Literal["lead", "company"]
FieldType = Literal["text", "email", "phone", "url", "number", "country", "name", "domain"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One importable field: where it lives, what it holds, what headers name it."""

    key: str
    label: str
    entity: Entity
    type: FieldType
    single: bool = True
    synonyms: tuple[str, ...] = ()


def _f(
    key: str, label: str, entity: Entity, type_: FieldType, *synonyms: str, single: bool = True
) -> FieldSpec:
    return FieldSpec(key, label, entity, type_, single, (label, key, *synonyms))


CORE_FIELDS: list[FieldSpec] = [
    # ---- lead (person) fields -------------------------------------------
    _f("first_name", "First name", "lead", "name",
       "first", "firstname", "given name", "forename", "prenom", "prénom",
       "vorname", "rufname", "nombre", "nombre de pila", "primer nombre", "voornaam",
       "roepnaam", "nome", "primo nome", "primeiro nome", "contact first name", "given names",
       "prenome"),
    _f("last_name", "Last name", "lead", "name",
       "last", "lastname", "surname", "family name", "nom", "nom de famille",
       "nachname", "familienname", "zuname", "apellido", "apellidos", "achternaam",
       "familienaam", "cognome", "sobrenome", "apelido", "contact last name"),
    _f("full_name", "Full name", "lead", "name",
       "name", "contact name", "contact", "person", "person name", "lead name",
       "contact person", "nom complet", "nom et prénom", "nome e cognome", "nome do contato",
       "nombre y apellidos", "contacto", "persona de contacto", "contatto", "interlocuteur",
       "prospect name", "prospecto" "vollständiger name",
       "ansprechpartner", "kontaktperson", "nombre completo", "volledige naam",
       "naam", "contactpersoon", "nome completo", "nominativo", "referente"),
    _f("email", "Email", "lead", "email",
       "e-mail", "email address", "e-mail address", "mail", "work email",
       "business email", "contact email", "person email", "emailadresse",
       "e-mail-adresse", "mailadresse", "courriel", "adresse e-mail", "adresse email",
       "correo", "correo electronico", "correo electrónico", "e-mailadres",
       "emailadres", "posta elettronica", "indirizzo email", "endereço de email",
       "endereco de e-mail", "emails", "email 1", "e mail 1", "correo electronico 1", "e-post",
       "epost", "email principal", "mail address", "correio eletronico"),
    _f("phone", "Phone", "lead", "phone",
       "phone number", "telephone", "tel", "tel.", "work phone", "direct phone",
       "work direct phone", "direct dial", "office phone", "business phone",
       "telefon", "telefonnummer", "rufnummer", "téléphone", "numéro de téléphone",
       "teléfono", "telefono", "número de teléfono", "telefoon", "telefoonnummer",
       "numero di telefono", "telefone", "número de telefone", "fone", "phones", "phone 1", "tlf",
       "tél", "tel fixe", "telefono fijo", "téléfono fijo", "teléfono 1", "tel 1", "main number",
       "phone unformatted"),
    _f("mobile_phone", "Mobile phone", "lead", "phone",
       "mobile", "mobile number", "mobile phone number", "cell", "cell phone",
       "cellphone", "handy", "handynummer", "mobiltelefon", "mobilnummer",
       "portable", "téléphone portable", "mobile perso", "móvil", "movil",
       "celular", "teléfono móvil", "mobiel", "mobiele telefoon", "gsm",
       "cellulare", "telemóvel", "telemovel", "whatsapp", "whats app", "whatsapp number",
       "numero whatsapp", "número de whatsapp", "wa", "mobil", "tel movil", "tel. móvil",
       "portable pro", "cel"),
    _f("job_title", "Job title", "lead", "text",
       "title", "position", "role", "job", "job role", "designation",
       "jobtitel", "berufsbezeichnung", "funktion", "stellung", "titel",
       "poste", "fonction", "intitulé du poste", "cargo", "puesto",
       "functie", "functietitel", "ruolo", "qualifica", "posizione", "mansione",
       "função", "funcao", "job title 1", "title 1", "functieomschrijving", "posición"),
    _f("linkedin_url", "LinkedIn URL", "lead", "url",
       "linkedin", "linkedin profile", "person linkedin url", "linkedin profile url",
       "personal linkedin", "contact linkedin url", "linkedin-profil", "profil linkedin",
       "perfil de linkedin", "linkedin profiel", "profilo linkedin"),
    _f("city", "City", "lead", "text",
       "town", "contact city", "person city", "locality", "stadt", "ort", "wohnort",
       "ville", "ciudad", "localidad", "stad", "plaats", "woonplaats", "città",
       "citta", "comune", "cidade", "municipio", "municipality", "localidade", "gemeinde",
       "gemeente", "poblacion", "población", "commune"),
    _f("state", "State", "lead", "text",
       "state/region", "region", "province", "county", "state province",
       "state/province", "state or province", "bundesland", "région", "departement",
       "département", "estado", "provincia", "provincie", "regione", "contact state", "uf",
       "estado/provincia", "kanton", "departamento", "comunidad autonoma", "comunidad autónoma",
       "state code", "province code"),
    _f("country", "Country", "lead", "country",
       "country/region", "nation", "land", "staat", "pays", "país", "pais",
       "paese", "nazione", "contact country", "country code", "country iso", "iso country",
       "countrycode", "pais iso", "código país", "landcode", "code pays"),
    _f("notes", "Notes", "lead", "text",
       "note", "comments", "comment", "remarks", "description", "memo",
       "notizen", "notiz", "bemerkung", "bemerkungen", "kommentar",
       "remarques", "commentaire", "commentaires", "notas", "nota", "comentarios",
       "observaciones", "opmerkingen", "notities", "note", "osservazioni",
       "commenti", "observações", "observacoes", "about", "info", "informacion", "información",
       "informações", "detalles", "details", "bio", "summary", "anmerkungen", "infos",
       single=False),
    # ---- company fields ---------------------------------------------------
    _f("company_name", "Company name", "company", "text",
       "company", "organization", "organisation", "account", "account name",
       "business", "business name", "employer", "firm", "brand",
       "firma", "firmenname", "unternehmen", "unternehmensname", "organisation",
       "entreprise", "société", "societe", "nom de l'entreprise", "raison sociale",
       "empresa", "compañía", "compania", "nombre de la empresa", "bedrijf",
       "bedrijfsnaam", "organisatie", "azienda", "società", "ragione sociale",
       "nome azienda", "companhia", "nome da empresa", "business name 1", "nombre comercial",
       "razon social", "razón social", "nome fantasia", "nom commercial", "handelsnaam",
       "nome commerciale", "place name", "store name", "shop name", "listing name"),
    _f("website", "Website", "company", "url",
       "website url", "web site", "site", "web", "url", "homepage", "home page",
       "company website", "domain url", "webseite", "internetseite", "homepage url",
       "site web", "site internet", "sitio web", "página web", "pagina web",
       "web", "sito", "sito web", "sito internet", "site da empresa", "www", "websites",
       "web page", "webpage", "sitio", "pagina", "página", "web pagina", "webpagina",
       "site internet", "url web", "domain website", "webadresse"),
    _f("company_domain", "Company domain", "company", "domain",
       "domain", "website domain", "email domain", "domäne", "domaine",
       "dominio", "domein", "domínio"),
    _f("company_phone", "Company phone", "company", "phone",
       "corporate phone", "company phone number", "main phone", "switchboard",
       "hq phone", "office number", "firmentelefon", "zentrale",
       "téléphone entreprise", "standard", "teléfono de la empresa",
       "bedrijfstelefoon", "telefono aziendale", "telefone da empresa"),
    _f("industry", "Industry", "company", "text",
       "sector", "vertical", "category", "categories", "business category", "business type",
       "type of business", "kategorie", "catégorie", "categoría", "categoria", "categorie",
       "category name", "main category", "categories 0", "type", "types", "tipo",
       "tipo de negocio", "actividad", "actividad principal", "atividade", "ramo de atividade",
       "activité", "activite", "tätigkeit", "taetigkeit", "attività", "attivita", "activiteit",
       "rubriek", "sector de actividad", "especialidad", "specialty", "speciality", "niche",
       "branche", "industrie", "secteur", "secteur d'activité", "industria",
       "sector industrial", "rubro", "settore", "setor", "ramo"),
    _f("employee_count", "Employees", "company", "number",
       "# employees", "employees", "number of employees", "employee count",
       "headcount", "company size", "size", "staff", "mitarbeiter",
       "anzahl mitarbeiter", "mitarbeiterzahl", "effectif", "nombre d'employés",
       "empleados", "número de empleados", "medewerkers", "aantal medewerkers",
       "dipendenti", "numero dipendenti", "funcionários", "funcionarios"),
    _f("annual_revenue", "Annual revenue", "company", "number",
       "revenue", "annual revenue", "turnover", "sales", "umsatz", "jahresumsatz",
       "chiffre d'affaires", "ca", "ingresos", "facturación", "facturacion",
       "omzet", "jaaromzet", "fatturato", "faturamento", "receita"),
    _f("company_linkedin_url", "Company LinkedIn URL", "company", "url",
       "company linkedin", "company linkedin url", "organization linkedin",
       "linkedin company page", "firmen linkedin", "linkedin entreprise",
       "linkedin empresa", "linkedin bedrijf", "linkedin azienda"),
    _f("facebook_url", "Facebook URL", "company", "url",
       "facebook", "facebook page", "fb", "company facebook"),
    _f("instagram_url", "Instagram URL", "company", "url",
       "instagram", "ig", "insta", "company instagram"),
    _f("twitter_url", "Twitter/X URL", "company", "url",
       "twitter", "x", "x url", "twitter handle", "company twitter"),
    _f("ads_url", "Ads URL", "company", "url",
       "ads", "ad library", "ads library", "facebook ads", "meta ads",
       "google ads", "ad url"),
    _f("company_address", "Company address", "company", "text",
       "address", "street", "street address", "address line 1", "company street",
       "adresse", "anschrift", "straße", "strasse", "dirección", "direccion",
       "calle", "adres", "straat", "indirizzo", "via", "endereço", "endereco",
       "morada", "rua", "full address", "address 1", "street 1", "domicilio",
       "direccion completa", "logradouro", "adresse complete", "adresse complète",
       "indirizzo completo", "straat en huisnummer", "strasse und hausnummer", "address line"),
    _f("company_city", "Company city", "company", "text",
       "account city", "hq city", "organization city", "firmensitz",
       "ville de l'entreprise", "ciudad de la empresa", "vestigingsplaats",
       "città azienda", "cidade da empresa"),
    _f("company_state", "Company state", "company", "text",
       "account state", "hq state", "organization state", "company region",
       "company province"),
    _f("company_postal_code", "Company postal code", "company", "text",
       "postal code", "zip", "zip code", "zipcode", "zip/postal code", "postcode", "post code",
       "plz", "postleitzahl", "code postal", "cp", "código postal",
       "codigo postal", "postcode", "cap", "codice postale", "cep", "postalcode", "postal",
       "cod postal", "cod. postal", "c.p.", "c p", "postnummer", "npa", "zip postal",
       "code postal entreprise"),
    _f("company_country", "Company country", "company", "country",
       "account country", "hq country", "organization country",
       "pays de l'entreprise", "país de la empresa"),
    _f("company_description", "Company description", "company", "text",
       "company description", "about company", "company about",
       "short description", "firmenbeschreibung", "unternehmensbeschreibung",
       "description de l'entreprise", "descripción de la empresa",
       "bedrijfsomschrijving", "descrizione azienda", "descrição da empresa",
       single=False),
]

_BY_KEY: dict[str, FieldSpec] = {spec.key: spec for spec in CORE_FIELDS}

LEAD_KEYS: tuple[str, ...] = tuple(s.key for s in CORE_FIELDS if s.entity == "lead")
COMPANY_KEYS: tuple[str, ...] = tuple(s.key for s in CORE_FIELDS if s.entity == "company")


def field(key: str) -> FieldSpec:
    """Return the spec for `key`; a KeyError names the unknown key."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown core field {key!r}") from None
