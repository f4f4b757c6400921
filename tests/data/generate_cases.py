"""Write the hand-designed sample cases of issue 9 and their truth files.

Run once (`python tests/data/generate_cases.py`); the files are committed and the tests
read them, never this script. Each case is a class of file the importer must handle
(another scraper's column set, another language, person-named businesses, free text in
another language, a mixed file), and its truth is written from the generated data
itself, not from what the importer makes of it. Names and contact data are invented.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(9)


def _slug(text: str) -> str:
    table = str.maketrans("áàâäãéèêëíìîïóòôöõúùûüçñß", "aaaaaeeeeiiiiooooouuuucns")
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())


def write(
    name: str,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, list],
    leads: list[dict],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    kind: str,
) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    (HERE / name).write_bytes(buf.getvalue().encode(encoding))
    by_email: dict[str, dict] = {}
    for lead in leads:
        by_email.setdefault(lead["email"], lead)  # the first row of a person wins
    domains = {lead["company_domain"] for lead in by_email.values() if lead["company_domain"]}
    truth = {
        "file": name,
        "encoding": encoding,
        "delimiter": delimiter,
        "kind": kind,
        "mapping": mapping,
        "expect": {"leads": len(by_email), "companies": len(domains)},
        "leads": sorted(by_email.values(), key=lambda lead: lead["email"]),
    }
    (HERE / f"{name}.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def business_lead(email: str, company: str, domain: str) -> dict:
    return {
        "email": email,
        "first_name": "",
        "last_name": "",
        "company_name": company,
        "company_domain": domain,
    }


def person_lead(email: str, first: str, last: str, company: str, domain: str) -> dict:
    return {
        "email": email,
        "first_name": first,
        "last_name": last,
        "company_name": company,
        "company_domain": domain,
    }


TRACKING = ["?utm_source=yelp&utm_medium=listing", "?gclid=Cj0KCQ123", "?ref=directory", "", "/"]


def yelp_scrape() -> None:
    """An English business-directory scrape with person-named businesses."""
    names = [
        ("Dr. Alan Ruiz DMD", "Dentists"),
        ("Karen Oakley Realty", "Real Estate Agents"),
        ("Smith & Wesley Law", "Lawyers"),
        ("Blue Door Bakery", "Bakeries"),
        ("Peak Performance Gym", "Gyms"),
        ("Golden Gate Plumbing Inc.", "Plumbing"),
        ("Mike Chen CPA", "Accountants"),
        ("Sunset Roofing Co", "Roofing"),
        ("Luna Hair Salon", "Hair Salons"),
        ("Harborview Dental Group", "Dentists"),
        ("Tom Becker Insurance", "Insurance"),
        ("Redleaf Landscaping LLC", "Landscaping"),
        ("Casa Verde Restaurant", "Mexican Restaurants"),
        ("Ocean Breeze HVAC", "Heating & Air"),
        ("Jenna Park Photography Studio", "Photographers"),
        ("Northside Auto Repair", "Auto Repair"),
        ("Willow Yoga Studio", "Yoga"),
        ("Summit Legal Partners", "Lawyers"),
        ("Brightside Pharmacy", "Pharmacy"),
        ("Elm Street Kitchen", "American Restaurants"),
        ("Patel & Sons Electric", "Electricians"),
        ("Greenway Cleaning Services", "Cleaning"),
    ]
    headers = [
        "Business Name",
        "Categories",
        "Rating",
        "Review Count",
        "Phone",
        "Address",
        "City",
        "Zip",
        "State",
        "Country",
        "Website",
        "Email",
        "Latitude",
        "Longitude",
        "Yelp URL",
        "Price",
    ]
    rows, leads = [], []
    for i, (name, category) in enumerate(names):
        domain = _slug(name.replace("&", "and").replace("Inc.", "").replace("LLC", "")) + ".com"
        mailbox = ["info", "contact", "hello", "office"][i % 4]
        email = f"{mailbox}@{domain}"
        site = f"https://www.{domain}{TRACKING[i % len(TRACKING)]}"
        rows.append(
            [
                name,
                category,
                f"{rng.uniform(3, 5):.1f}",
                str(rng.randint(5, 900)),
                f"(415) 555-{1000 + i * 37:04d}",
                f"{100 + i * 11} Market St",
                "San Francisco",
                f"{94100 + i:05d}",
                "CA",
                "US",
                site,
                email,
                f"{37.7 + i / 1000:.6f}",
                f"{-122.4 - i / 1000:.6f}",
                f"https://www.yelp.com/biz/{_slug(name)}-sf",
                "$" * (1 + i % 3),
            ]
        )
        leads.append(business_lead(email, name, domain))
    mapping = {
        "Business Name": ["company_name"],
        "Categories": ["industry"],
        "Rating": [],
        "Review Count": [],
        "Phone": ["company_phone", "phone"],
        "Address": ["company_address"],
        "City": ["company_city"],
        "Zip": ["company_postal_code"],
        "State": ["company_state"],
        "Country": ["company_country"],
        "Website": ["website"],
        "Email": ["email"],
        "Latitude": [],
        "Longitude": [],
        "Yelp URL": [],
        "Price": [],
    }
    write("yelp_scrape.csv", headers, rows, mapping, leads, kind="businesses")


def annuaire_fr() -> None:
    """A French directory: `;`, a BOM, legal forms (SARL, SAS), French headers."""
    trades = [
        ("Boulangerie", "Boulangerie"),
        ("Cabinet Dentaire", "Dentiste"),
        ("Plomberie", "Plombier"),
        ("Agence Immobilier", "Agence immobilière"),
        ("Salon de Coiffure", "Coiffeur"),
        ("Garage", "Garage automobile"),
    ]
    places = ["Lumière", "Étoile", "du Parc", "Saint-Michel", "des Alpes"]
    forms = ["SARL", "SAS", "", "EURL", ""]
    headers = [
        "Raison sociale",
        "Activité",
        "Adresse",
        "Code postal",
        "Ville",
        "Région",
        "Pays",
        "Tél.",
        "E-mail",
        "Site internet",
        "Note",
        "Nombre d'avis",
        "Horaires",
    ]
    rows, leads = [], []
    for i in range(24):
        trade, activity = trades[i % len(trades)]
        place = places[(i // len(trades)) % len(places)]
        form = forms[i % len(forms)]
        name = f"{trade} {place}" + (f" {form}" if form else "")
        domain = _slug(f"{trade}{place}") + (".fr" if i % 3 else ".com")
        email = f"{['contact', 'bonjour', 'info'][i % 3]}@{domain}"
        rows.append(
            [
                name,
                activity,
                f"{3 + i} rue de la République",
                f"{69001 + i:05d}",
                ["Lyon", "Paris", "Marseille", "Lille"][i % 4],
                ["Auvergne-Rhône-Alpes", "Île-de-France", "Provence", "Hauts-de-France"][i % 4],
                "France" if i % 2 else "FR",
                f"04 7{i % 10} 12 {10 + i:02d} {30 + i:02d}",
                email,
                f"https://{domain}" + ("?utm_source=pagesjaunes" if i % 2 else ""),
                f"{rng.uniform(3, 5):.1f}".replace(".", ","),
                str(rng.randint(3, 400)),
                "Lun-Ven 9h-18h",
            ]
        )
        leads.append(business_lead(email, name, domain))
    mapping = {
        "Raison sociale": ["company_name"],
        "Activité": ["industry"],
        "Adresse": ["company_address"],
        "Code postal": ["company_postal_code"],
        "Ville": ["company_city"],
        "Région": ["company_state"],
        "Pays": ["company_country"],
        "Tél.": ["company_phone", "phone"],
        "E-mail": ["email"],
        "Site internet": ["website"],
        "Note": [],
        "Nombre d'avis": [],
        "Horaires": [],
    }
    write(
        "annuaire_entreprises.csv",
        headers,
        rows,
        mapping,
        leads,
        delimiter=";",
        encoding="utf-8-sig",
        kind="businesses",
    )


def branchenbuch_de() -> None:
    """A German directory with coordinates written with a decimal comma, GmbH/UG/e.K."""
    firms = [
        ("Zahnarztpraxis", "Zahnarzt"),
        ("Elektro", "Elektriker"),
        ("Bäckerei", "Bäckerei"),
        ("Dachdecker", "Dachdecker"),
        ("Steuerberatung", "Steuerberater"),
    ]
    owners = ["Müller", "Schneider", "Fischer", "Weber", "Wagner", "Becker"]
    forms = ["GmbH", "UG", "e.K.", "GmbH & Co. KG", ""]
    headers = [
        "Firmenname",
        "Branche",
        "Straße",
        "PLZ",
        "Ort",
        "Bundesland",
        "Telefon",
        "E-Mail",
        "Webseite",
        "Bewertung",
        "Anzahl Bewertungen",
        "Öffnungszeiten",
        "Breitengrad",
        "Längengrad",
    ]
    rows, leads = [], []
    for i in range(20):
        trade, branche = firms[i % len(firms)]
        owner = owners[(i // len(firms)) % len(owners)]
        form = forms[i % len(forms)]
        name = f"{trade} {owner}" + (f" {form}" if form else "")
        domain = _slug(f"{trade}-{owner}") + ".de"
        email = f"{['info', 'kontakt', 'office'][i % 3]}@{domain}"
        rows.append(
            [
                name,
                branche,
                f"Hauptstraße {i + 1}",
                f"{10115 + i * 7:05d}",
                ["Berlin", "München", "Köln", "Hamburg"][i % 4],
                ["Berlin", "Bayern", "Nordrhein-Westfalen", "Hamburg"][i % 4],
                f"030 {1234500 + i * 13}",
                email,
                f"www.{domain}" + ("/?fbclid=IwAR0abc" if i % 2 else ""),
                f"{rng.uniform(3, 5):.1f}".replace(".", ","),
                str(rng.randint(1, 300)),
                "Mo-Fr 08:00-18:00",
                f"{52.52 + i / 997:.6f}".replace(".", ","),
                f"{13.405 + i / 991:.6f}".replace(".", ","),
            ]
        )
        leads.append(business_lead(email, name, domain))
    mapping = {
        "Firmenname": ["company_name"],
        "Branche": ["industry"],
        "Straße": ["company_address"],
        "PLZ": ["company_postal_code"],
        "Ort": ["company_city"],
        "Bundesland": ["company_state"],
        "Telefon": ["company_phone", "phone"],
        "E-Mail": ["email"],
        "Webseite": ["website"],
        "Bewertung": [],
        "Anzahl Bewertungen": [],
        "Öffnungszeiten": [],
        "Breitengrad": [],
        "Längengrad": [],
    }
    write("branchenbuch_de.csv", headers, rows, mapping, leads, delimiter=";", kind="businesses")


def phantom_people() -> None:
    """A people scraper's camelCase and list-index headers (`emails/0`, `phoneNumbers/0`)."""
    people = [
        ("Laura", "Bianchi"),
        ("Marco", "Rossi"),
        ("Sofia", "Ricci"),
        ("Luca", "Romano"),
        ("Emma", "de Vries"),
        ("Daan", "Jansen"),
        ("Lotte", "van Dijk"),
        ("Sem", "Bakker"),
        ("Giulia", "Conti"),
        ("Matteo", "Greco"),
        ("Fenna", "Visser"),
        ("Bram", "Smit"),
        ("Chiara", "Marino"),
        ("Ruben", "Mulder"),
        ("Alessia", "Gallo"),
        ("Thijs", "Bos"),
    ]
    companies = [
        ("Studio Aurora", "studioaurora.it"),
        ("Koffie & Co", "koffieenco.nl"),
        ("Verde Logistica", "verdelogistica.it"),
        ("Tulp Digital", "tulpdigital.nl"),
    ]
    headers = [
        "fullName",
        "firstName",
        "lastName",
        "jobTitle",
        "companyName",
        "companyUrl",
        "profileUrl",
        "location",
        "emails/0",
        "phoneNumbers/0",
        "scrapedAt",
    ]
    titles = ["Marketing Manager", "CEO", "Head of Sales", "Founder", "Office Manager"]
    rows, leads = [], []
    for i, (first, last) in enumerate(people):
        company, domain = companies[i % len(companies)]
        email = f"{_slug(first)}.{_slug(last)}@{domain}"
        rows.append(
            [
                f"{first} {last}",
                first,
                last,
                titles[i % len(titles)],
                company,
                f"https://www.{domain}/?ref=linkedin",
                f"https://www.linkedin.com/in/{_slug(first)}-{_slug(last)}-{100 + i}",
                ["Milano, Lombardia, Italia", "Amsterdam, Noord-Holland, Nederland"][i % 2],
                email,
                f"+39 02 1234 {5600 + i}" if i % 2 == 0 else f"+31 20 123 {4500 + i}",
                f"2026-11-{10 + i % 18:02d}T09:12:00Z",
            ]
        )
        leads.append(person_lead(email, first, last, company, domain))
    mapping = {
        "fullName": ["full_name", None],
        "firstName": ["first_name"],
        "lastName": ["last_name"],
        "jobTitle": ["job_title"],
        "companyName": ["company_name"],
        "companyUrl": ["website"],
        "profileUrl": ["linkedin_url"],
        "location": [None, "city"],
        "emails/0": ["email"],
        "phoneNumbers/0": ["phone", "mobile_phone"],
        "scrapedAt": [],
    }
    write("phantom_people.csv", headers, rows, mapping, leads, kind="people")


def notas_pt() -> None:
    """Portuguese free text under a header no synonym knows ("Anotações da visita")."""
    people = [
        ("Ana", "Souza"),
        ("João", "Pereira"),
        ("Mariana", "Costa"),
        ("Pedro", "Almeida"),
        ("Beatriz", "Lima"),
        ("Rafael", "Gomes"),
        ("Camila", "Ribeiro"),
        ("Lucas", "Martins"),
        ("Juliana", "Carvalho"),
        ("Thiago", "Rocha"),
        ("Fernanda", "Dias"),
        ("Bruno", "Nunes"),
    ]
    companies = [
        ("Padaria Aurora", "padariaaurora.com.br"),
        ("Clínica Sorriso", "clinicasorriso.com.br"),
        ("Oficina Central", "oficinacentral.com.br"),
        ("Estúdio Bela Vista", "estudiobelavista.com"),
    ]
    titles = ["Diretora de Marketing", "Gerente Comercial", "Sócio Fundador", "Coordenadora"]
    headers = ["Nome", "Anotações da visita", "Etapa"]
    rows, leads = [], []
    for i, (first, last) in enumerate(people):
        company, domain = companies[i % len(companies)]
        email = f"{_slug(first)}@{domain}" if i % 3 else f"{_slug(first)}.{_slug(last)}@gmail.com"
        title = titles[i % len(titles)]
        if i % 2:
            note = (
                f"{title} na {company}. E-mail {email}, cel. (11) 9{8700 + i}-43{10 + i}. "
                f"Site: https://{domain}"
            )
        else:
            note = (
                f"Conheci na feira. {company} ({domain}) - {title}; {email} / "
                f"(11) 3{200 + i}-55{10 + i}"
            )
        rows.append([f"{first} {last}", note, ["novo", "contatado", "reunião"][i % 3]])
        leads.append(person_lead(email, first, last, company, domain))
    mapping = {"Nome": ["full_name"], "Anotações da visita": ["notes"], "Etapa": []}
    write("notas_visitas_pt.csv", headers, rows, mapping, leads, kind="people")


def mixed_file() -> None:
    """A person file where some rows are businesses (a name with a legal form or a trade)."""
    people = [
        ("Olivia", "Turner", "Crestline Media", "crestlinemedia.com"),
        ("Noah", "Brooks", "Crestline Media", "crestlinemedia.com"),
        ("Ava", "Morgan", "Pinehill Dental", "pinehilldental.com"),
        ("Liam", "Foster", "Northgate Realty", "northgaterealty.com"),
        ("Mia", "Hughes", "Bluewater Consulting", "bluewaterconsulting.io"),
        ("Ethan", "Price", "Pinehill Dental", "pinehilldental.com"),
        ("Isla", "Bennett", "Quarry Fitness", "quarryfitness.co"),
        ("Leo", "Ward", "Maplewood Kitchen", "maplewoodkitchen.com"),
        ("Chloe", "Reed", "Bluewater Consulting", "bluewaterconsulting.io"),
        ("Jack", "Cole", "Ironwood Plumbing", "ironwoodplumbing.com"),
    ]
    businesses = [
        ("Bright Smile Dental LLC", "brightsmiledental.com"),
        ("Harbor Plumbing & Heating", "harborplumbing.com"),
        ("Evergreen Realty Group", "evergreenrealtygroup.com"),
        ("Cedar Law Firm PLLC", "cedarlawfirm.com"),
        ("Oakline Fitness Studio", "oaklinefitness.com"),
    ]
    headers = ["Name", "Email", "Phone", "Company", "Website", "Source"]
    rows, leads = [], []
    for i, (first, last, company, domain) in enumerate(people):
        email = f"{first.lower()}.{last.lower()}@{domain}"
        rows.append(
            [
                f"{first} {last}",
                email,
                f"+1 303 555 {2000 + i}",
                company,
                f"https://{domain}/?utm_campaign=fall",
                "event",
            ]
        )
        leads.append(person_lead(email, first, last, company, domain))
        if i % 2 == 1 and businesses:
            name, bdomain = businesses.pop(0)
            bemail = f"{['info', 'office', 'hello'][i % 3]}@{bdomain}"
            rows.append([name, bemail, f"+1 303 555 {3000 + i}", "", f"www.{bdomain}", "maps"])
            leads.append(business_lead(bemail, name, bdomain))
    mapping = {
        "Name": ["full_name"],
        "Email": ["email"],
        "Phone": ["phone"],
        "Company": ["company_name"],
        "Website": ["website"],
        "Source": [],
    }
    write("mixed_people_businesses.csv", headers, rows, mapping, leads, kind="people")


def agenda_it() -> None:
    """An Italian business list: S.r.l./S.p.A., `Cellulare/WhatsApp`, `CAP`, `Comune`."""
    names = [
        "Ristorante Da Mario",
        "Studio Legale Ferri",
        "Farmacia Centrale S.r.l.",
        "Idraulica Rossi S.n.c.",
        "Palestra Olimpo",
        "Agenzia Immobiliare Sole S.r.l.",
        "Pasticceria Dolce Vita",
        "Studio Dentistico Bruni",
        "Autofficina Moretti S.p.A.",
        "Parrucchiere Stile",
        "Commercialista Galli",
        "Trattoria Il Portico",
    ]
    headers = [
        "Ragione sociale",
        "Categoria",
        "Indirizzo",
        "CAP",
        "Comune",
        "Provincia",
        "Telefono",
        "Cellulare/WhatsApp",
        "Email",
        "Sito web",
        "Valutazione",
        "Recensioni",
    ]
    categories = ["Ristorante", "Avvocato", "Farmacia", "Idraulico", "Palestra", "Immobiliare"]
    rows, leads = [], []
    for i, name in enumerate(names):
        base = name.replace(" S.r.l.", "").replace(" S.n.c.", "").replace(" S.p.A.", "")
        domain = _slug(base) + ".it"
        email = f"{['info', 'contatti', 'segreteria'][i % 3]}@{domain}"
        rows.append(
            [
                name,
                categories[i % len(categories)],
                f"Via Roma {i + 1}",
                f"{20121 + i:05d}",
                ["Milano", "Torino", "Bologna"][i % 3],
                ["MI", "TO", "BO"][i % 3],
                f"02 {8765400 + i}",
                f"+39 333 {1234560 + i}" if i % 2 else "",
                email,
                f"http://www.{domain}/?utm_source=paginegialle&ref=listing",
                f"{rng.uniform(3, 5):.1f}",
                str(rng.randint(1, 600)),
            ]
        )
        leads.append(business_lead(email, name, domain))
    mapping = {
        "Ragione sociale": ["company_name"],
        "Categoria": ["industry"],
        "Indirizzo": ["company_address"],
        "CAP": ["company_postal_code"],
        "Comune": ["company_city"],
        "Provincia": ["company_state"],
        "Telefono": ["company_phone", "phone"],
        "Cellulare/WhatsApp": [None, "mobile_phone", "company_phone", "phone"],
        "Email": ["email"],
        "Sito web": ["website"],
        "Valutazione": [],
        "Recensioni": [],
    }
    write("agenda_italiana.csv", headers, rows, mapping, leads, kind="businesses")


if __name__ == "__main__":
    yelp_scrape()
    annuaire_fr()
    branchenbuch_de()
    phantom_people()
    notas_pt()
    mixed_file()
    agenda_it()
