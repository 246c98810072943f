"""Our curated taxonomy of occupations, sectors and skills.

ESCO has no labels in most of our users' languages, so we keep a short list of
our own: profiles store the codes, and the labels are English message ids that
the web layer translates. Occupation codes are an ISCO-08 unit group plus a
suffix (``"7212.1"`` is a welder, unit group 7212), so a profile can later be
mapped onto ESCO or UWV classifications. Anything missing goes in free text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sync.messages import N_

KINDS = ("occupation", "skill", "sector")


class UnknownKindError(ValueError):
    """A kind other than ``occupation``, ``skill`` or ``sector`` was asked for."""


@dataclass(frozen=True)
class Sector:
    code: str
    label: str


@dataclass(frozen=True)
class Occupation:
    code: str
    label: str
    isco: str
    sector: str


@dataclass(frozen=True)
class Area:
    code: str
    label: str


@dataclass(frozen=True)
class Skill:
    code: str
    label: str
    area: str


Entry = Occupation | Skill | Sector


SECTORS: tuple[Sector, ...] = tuple(Sector(code, label) for code, label in [
    ("sector.agriculture", N_("Agriculture and horticulture")),
    ("sector.food", N_("Food production")),
    ("sector.manufacturing", N_("Industry and manufacturing")),
    ("sector.construction", N_("Construction")),
    ("sector.installation", N_("Technical installation")),
    ("sector.motor", N_("Car and bicycle repair")),
    ("sector.retail", N_("Shops and wholesale")),
    ("sector.transport", N_("Transport and logistics")),
    ("sector.hospitality", N_("Hotels, restaurants and cafés")),
    ("sector.ict", N_("IT and telecom")),
    ("sector.finance", N_("Finance and accounting")),
    ("sector.business", N_("Office and business services")),
    ("sector.legal", N_("Legal services")),
    ("sector.care", N_("Health care and welfare")),
    ("sector.childcare", N_("Childcare")),
    ("sector.education", N_("Education")),
    ("sector.public", N_("Government and public services")),
    ("sector.cleaning", N_("Cleaning and facility services")),
    ("sector.security", N_("Security")),
    ("sector.creative", N_("Culture, media and creative work")),
    ("sector.beauty", N_("Hairdressing and beauty")),
    ("sector.waste", N_("Waste and recycling")),
])


def _occupations(rows: Iterable[tuple[str, str, str]]) -> tuple[Occupation, ...]:
    # The ISCO unit group is the part of the code before the suffix; deriving
    # it keeps the two from drifting apart.
    return tuple(Occupation(code, label, code.split(".")[0], sector)
                 for code, label, sector in rows)


OCCUPATIONS: tuple[Occupation, ...] = _occupations([
    # Construction and finishing
    ("7112.1", N_("Bricklayer"), "sector.construction"),
    ("7114.1", N_("Concrete worker"), "sector.construction"),
    ("7115.1", N_("Carpenter"), "sector.construction"),
    ("7121.1", N_("Roofer"), "sector.construction"),
    ("7122.1", N_("Tiler"), "sector.construction"),
    ("7123.1", N_("Plasterer"), "sector.construction"),
    ("7131.1", N_("Painter (buildings)"), "sector.construction"),
    ("7214.1", N_("Steel construction worker"), "sector.construction"),
    ("9313.1", N_("Construction worker"), "sector.construction"),
    ("8342.1", N_("Excavator operator"), "sector.construction"),
    ("3123.1", N_("Site supervisor"), "sector.construction"),
    ("2161.1", N_("Architect"), "sector.construction"),
    ("2142.1", N_("Civil engineer"), "sector.construction"),
    # Installation and technical trades
    ("7411.1", N_("Electrician"), "sector.installation"),
    ("7126.1", N_("Plumber"), "sector.installation"),
    ("7127.1", N_("Air conditioning and refrigeration mechanic"), "sector.installation"),
    ("7421.1", N_("Electronics repairer"), "sector.installation"),
    ("7422.1", N_("Phone and computer repairer"), "sector.ict"),
    ("2151.1", N_("Electrical engineer"), "sector.installation"),
    # Metal, machines and manufacturing
    ("7212.1", N_("Welder"), "sector.manufacturing"),
    ("7223.1", N_("Metal machine operator (CNC)"), "sector.manufacturing"),
    ("7233.1", N_("Machine mechanic"), "sector.manufacturing"),
    ("2144.1", N_("Mechanical engineer"), "sector.manufacturing"),
    ("2113.1", N_("Chemist"), "sector.manufacturing"),
    ("7522.1", N_("Furniture maker"), "sector.manufacturing"),
    ("7531.1", N_("Tailor"), "sector.manufacturing"),
    ("8153.1", N_("Sewing machine operator"), "sector.manufacturing"),
    ("7536.1", N_("Shoemaker"), "sector.manufacturing"),
    ("7313.1", N_("Jeweller"), "sector.manufacturing"),
    ("8219.1", N_("Assembly worker"), "sector.manufacturing"),
    ("9329.1", N_("Production worker"), "sector.manufacturing"),
    ("9321.1", N_("Packer"), "sector.manufacturing"),
    # Cars and bicycles
    ("7231.1", N_("Car mechanic"), "sector.motor"),
    ("7234.1", N_("Bicycle repairer"), "sector.motor"),
    # Food
    ("7511.1", N_("Butcher"), "sector.food"),
    ("7512.1", N_("Baker"), "sector.food"),
    ("8160.1", N_("Food production worker"), "sector.food"),
    # Hospitality
    ("5120.1", N_("Cook"), "sector.hospitality"),
    ("3434.1", N_("Chef"), "sector.hospitality"),
    ("9412.1", N_("Kitchen helper"), "sector.hospitality"),
    ("5131.1", N_("Waiter"), "sector.hospitality"),
    ("5132.1", N_("Bartender"), "sector.hospitality"),
    ("4224.1", N_("Hotel receptionist"), "sector.hospitality"),
    ("1412.1", N_("Restaurant owner or manager"), "sector.hospitality"),
    # Cleaning, facilities, waste and security
    ("9112.1", N_("Cleaner"), "sector.cleaning"),
    ("9111.1", N_("Domestic cleaner"), "sector.cleaning"),
    ("5153.1", N_("Building caretaker"), "sector.cleaning"),
    ("9611.1", N_("Waste collector"), "sector.waste"),
    ("5414.1", N_("Security guard"), "sector.security"),
    # Transport and logistics
    ("8322.1", N_("Taxi driver"), "sector.transport"),
    ("8322.2", N_("Delivery van driver"), "sector.transport"),
    ("8331.1", N_("Bus driver"), "sector.transport"),
    ("8332.1", N_("Truck driver"), "sector.transport"),
    ("9621.1", N_("Parcel courier"), "sector.transport"),
    ("4321.1", N_("Warehouse worker"), "sector.transport"),
    ("9333.1", N_("Order picker"), "sector.transport"),
    ("8344.1", N_("Forklift driver"), "sector.transport"),
    # Agriculture
    ("6111.1", N_("Vegetable and crop grower"), "sector.agriculture"),
    ("6121.1", N_("Livestock farmer"), "sector.agriculture"),
    ("6130.1", N_("Farmer (crops and animals)"), "sector.agriculture"),
    ("6113.1", N_("Gardener"), "sector.agriculture"),
    ("9211.1", N_("Farm worker"), "sector.agriculture"),
    ("9214.1", N_("Greenhouse worker"), "sector.agriculture"),
    ("2250.1", N_("Veterinarian"), "sector.agriculture"),
    # Health care and welfare
    ("2211.1", N_("Doctor (general practitioner)"), "sector.care"),
    ("2212.1", N_("Medical specialist"), "sector.care"),
    ("2221.1", N_("Nurse"), "sector.care"),
    ("2222.1", N_("Midwife"), "sector.care"),
    ("2261.1", N_("Dentist"), "sector.care"),
    ("2262.1", N_("Pharmacist"), "sector.care"),
    ("2264.1", N_("Physiotherapist"), "sector.care"),
    ("2634.1", N_("Psychologist"), "sector.care"),
    ("3212.1", N_("Laboratory technician"), "sector.care"),
    ("3213.1", N_("Pharmacy assistant"), "sector.care"),
    ("3256.1", N_("Medical assistant"), "sector.care"),
    ("5321.1", N_("Nursing assistant"), "sector.care"),
    ("5321.2", N_("Care worker for elderly people"), "sector.care"),
    ("5322.1", N_("Home care worker"), "sector.care"),
    ("2635.1", N_("Social worker"), "sector.care"),
    # Childcare and education
    ("5311.1", N_("Childcare worker"), "sector.childcare"),
    ("2342.1", N_("Pre-school teacher"), "sector.childcare"),
    ("2341.1", N_("Primary school teacher"), "sector.education"),
    ("2330.1", N_("Secondary school teacher"), "sector.education"),
    ("2310.1", N_("University lecturer"), "sector.education"),
    ("2353.1", N_("Language teacher"), "sector.education"),
    ("5312.1", N_("Teaching assistant"), "sector.education"),
    # Languages, media and creative work
    ("2643.1", N_("Interpreter"), "sector.business"),
    ("2643.2", N_("Translator"), "sector.business"),
    ("2642.1", N_("Journalist"), "sector.creative"),
    ("2166.1", N_("Graphic designer"), "sector.creative"),
    ("3431.1", N_("Photographer"), "sector.creative"),
    ("2652.1", N_("Musician"), "sector.creative"),
    # IT
    ("2512.1", N_("Software developer"), "sector.ict"),
    ("2513.1", N_("Web developer"), "sector.ict"),
    ("3512.1", N_("IT support worker"), "sector.ict"),
    ("3513.1", N_("Network technician"), "sector.ict"),
    # Office, finance, law and business
    ("2411.1", N_("Accountant"), "sector.finance"),
    ("3313.1", N_("Bookkeeper"), "sector.finance"),
    ("4110.1", N_("Office worker"), "sector.business"),
    ("4120.1", N_("Secretary"), "sector.business"),
    ("4226.1", N_("Receptionist"), "sector.business"),
    ("4222.1", N_("Call centre worker"), "sector.business"),
    ("2611.1", N_("Lawyer"), "sector.legal"),
    ("5412.1", N_("Police officer"), "sector.public"),
    # Shops and sales
    ("5223.1", N_("Shop assistant"), "sector.retail"),
    ("5230.1", N_("Cashier"), "sector.retail"),
    ("9334.1", N_("Shelf stacker"), "sector.retail"),
    ("5221.1", N_("Shopkeeper (own shop)"), "sector.retail"),
    ("3322.1", N_("Sales representative"), "sector.retail"),
    # Hair and beauty
    ("5141.1", N_("Hairdresser"), "sector.beauty"),
    ("5141.2", N_("Barber"), "sector.beauty"),
    ("5142.1", N_("Beautician"), "sector.beauty"),
])


AREAS: tuple[Area, ...] = tuple(Area(code, label) for code, label in [
    ("area.trades", N_("Trades and technical work")),
    ("area.construction", N_("Construction")),
    ("area.care", N_("Care and health")),
    ("area.hospitality", N_("Hospitality and food")),
    ("area.logistics", N_("Logistics and transport")),
    ("area.agriculture", N_("Agriculture and gardening")),
    ("area.cleaning", N_("Cleaning and facilities")),
    ("area.office", N_("Office and administration")),
    ("area.sales", N_("Sales and customer service")),
    ("area.digital", N_("Digital skills")),
    ("area.languages", N_("Languages and communication")),
    ("area.education", N_("Education and childcare")),
    ("area.soft", N_("Personal skills")),
    ("area.business", N_("Entrepreneurship")),
    ("area.creative", N_("Creative work")),
])


def _skills(area: str, rows: Iterable[tuple[str, str]]) -> list[Skill]:
    # Skill codes carry their area ("skill.trades.welding") so a stored code
    # still says roughly what it was if the list ever loses an entry.
    short = area.removeprefix("area.")
    return [Skill(f"skill.{short}.{name}", label, area) for name, label in rows]


SKILLS: tuple[Skill, ...] = tuple([
    *_skills("area.trades", [
        ("welding", N_("Weld metal")),
        ("metalwork", N_("Cut and shape metal")),
        ("car_repair", N_("Repair cars")),
        ("bicycle_repair", N_("Repair bicycles")),
        ("electrical", N_("Install electrical wiring")),
        ("plumbing", N_("Install and repair water pipes")),
        ("machines", N_("Maintain and repair machines")),
        ("electronics", N_("Repair phones and electronics")),
        ("drawings", N_("Read technical drawings")),
        ("sewing", N_("Sew and repair clothes")),
        ("hairdressing", N_("Cut and style hair")),
    ]),
    *_skills("area.construction", [
        ("bricklaying", N_("Lay bricks")),
        ("carpentry", N_("Make things from wood")),
        ("painting", N_("Paint walls and buildings")),
        ("tiling", N_("Lay tiles")),
        ("plastering", N_("Plaster walls")),
        ("roofing", N_("Work on roofs")),
        ("concrete", N_("Pour concrete")),
        ("power_tools", N_("Use power tools safely")),
        ("measuring", N_("Measure and mark out building work")),
    ]),
    *_skills("area.care", [
        ("elderly", N_("Care for elderly people")),
        ("disability", N_("Support people with a disability")),
        ("personal_care", N_("Help people wash and dress")),
        ("sick_people", N_("Take care of sick people")),
        ("first_aid", N_("Give first aid")),
        ("medicine", N_("Give medicine to patients")),
        ("vital_signs", N_("Measure blood pressure and temperature")),
        ("hygiene", N_("Work hygienically in health care")),
        ("diagnosis", N_("Examine patients and find out what is wrong")),
    ]),
    *_skills("area.hospitality", [
        ("cooking", N_("Cook meals")),
        ("large_groups", N_("Cook for large groups")),
        ("baking", N_("Bake bread and cakes")),
        ("meat", N_("Cut and prepare meat")),
        ("serving", N_("Serve food and drinks to guests")),
        ("food_hygiene", N_("Work hygienically with food")),
        ("dishwashing", N_("Wash dishes in a professional kitchen")),
        ("coffee", N_("Make coffee and other drinks")),
        ("guests", N_("Welcome hotel guests")),
    ]),
    *_skills("area.logistics", [
        ("forklift", N_("Drive a forklift")),
        ("order_picking", N_("Pick orders in a warehouse")),
        ("packing", N_("Pack and label products")),
        ("stock", N_("Keep track of stock")),
        ("loading", N_("Load and unload trucks")),
        ("car", N_("Drive a car")),
        ("truck", N_("Drive a truck")),
        ("bus", N_("Drive a bus")),
        ("delivery", N_("Deliver parcels")),
        ("routes", N_("Plan delivery routes")),
    ]),
    *_skills("area.agriculture", [
        ("crops", N_("Grow vegetables and crops")),
        ("greenhouse", N_("Work in a greenhouse")),
        ("harvest", N_("Harvest fruit and vegetables")),
        ("animals", N_("Look after farm animals")),
        ("milking", N_("Milk cows and goats")),
        ("gardening", N_("Look after gardens and plants")),
        ("tractor", N_("Drive a tractor")),
        ("pruning", N_("Prune trees and plants")),
    ]),
    *_skills("area.cleaning", [
        ("offices", N_("Clean offices")),
        ("houses", N_("Clean houses")),
        ("hotel_rooms", N_("Clean hotel rooms")),
        ("machines", N_("Use cleaning machines")),
        ("products", N_("Use cleaning products safely")),
        ("windows", N_("Clean windows")),
        ("laundry", N_("Wash and iron clothes and linen")),
        ("repairs", N_("Do small repairs in a building")),
    ]),
    *_skills("area.office", [
        ("filing", N_("Keep files and documents in order")),
        ("data_entry", N_("Enter data on a computer")),
        ("phone", N_("Answer the phone and take messages")),
        ("scheduling", N_("Make schedules and plans")),
        ("bookkeeping", N_("Keep accounts for a small shop")),
        ("invoices", N_("Make and check invoices")),
        ("letters", N_("Write letters and e-mails for work")),
        ("front_desk", N_("Welcome visitors at the front desk")),
    ]),
    *_skills("area.sales", [
        ("help_customers", N_("Help customers in a shop")),
        ("cash_register", N_("Work at a cash register")),
        ("shelves", N_("Fill shelves")),
        ("selling", N_("Sell products")),
        ("complaints", N_("Deal with complaints calmly")),
        ("phone_service", N_("Help customers by phone")),
        ("market", N_("Sell at a market")),
        ("display", N_("Arrange products in a shop")),
    ]),
    *_skills("area.digital", [
        ("email", N_("Use a computer for e-mail")),
        ("texts", N_("Write texts on a computer")),
        ("spreadsheets", N_("Work with spreadsheets like Excel")),
        ("smartphone", N_("Use a smartphone and apps")),
        ("internet", N_("Find information on the internet")),
        ("safety", N_("Stay safe online")),
        ("video_calls", N_("Join video calls")),
        ("social_media", N_("Use social media for work")),
        ("programming", N_("Write computer programs")),
        ("websites", N_("Build websites")),
        ("networks", N_("Set up computers and networks")),
        ("it_support", N_("Help people with computer problems")),
    ]),
    *_skills("area.languages", [
        ("interpreting", N_("Interpret between two languages")),
        ("translating", N_("Translate texts")),
        ("dutch", N_("Speak Dutch in daily life")),
        ("english", N_("Speak English")),
        ("explaining", N_("Explain things clearly")),
        ("presenting", N_("Give a presentation")),
        ("reports", N_("Write a report")),
        ("cultures", N_("Help people from different cultures understand each other")),
    ]),
    *_skills("area.education", [
        ("children", N_("Teach children")),
        ("adults", N_("Teach adults")),
        ("homework", N_("Help children with homework")),
        ("young_children", N_("Look after young children")),
        ("babies", N_("Care for babies")),
        ("activities", N_("Play games and do activities with children")),
        ("lessons", N_("Prepare lessons")),
        ("language", N_("Teach a language")),
        ("coaching", N_("Coach and guide people")),
    ]),
    *_skills("area.soft", [
        ("teamwork", N_("Work in a team")),
        ("independent", N_("Work on my own")),
        ("punctual", N_("Be on time and keep appointments")),
        ("problems", N_("Solve problems")),
        ("learning", N_("Learn new things quickly")),
        ("calm", N_("Stay calm under pressure")),
        ("leading", N_("Lead a team")),
        ("adapting", N_("Adapt to new situations")),
        ("friendly", N_("Be friendly and helpful to people")),
        ("organising", N_("Organise my own work")),
    ]),
    *_skills("area.business", [
        ("own_business", N_("Run my own business")),
        ("business_plan", N_("Write a business plan")),
        ("buying", N_("Buy goods from suppliers")),
        ("pricing", N_("Set prices")),
        ("promotion", N_("Promote products or services")),
        ("negotiating", N_("Negotiate a good deal")),
        ("staff", N_("Manage staff")),
        ("money", N_("Manage the money of a business")),
        ("trade", N_("Import and export goods")),
    ]),
    *_skills("area.creative", [
        ("art", N_("Draw and paint")),
        ("photos", N_("Take photos")),
        ("video", N_("Film and edit videos")),
        ("music", N_("Play music")),
        ("design", N_("Design posters and logos")),
        ("crafts", N_("Make handicrafts")),
        ("writing", N_("Write stories or articles")),
        ("jewellery", N_("Make jewellery")),
    ]),
])


_BY_CODE: dict[str, dict[str, Entry]] = {
    "occupation": {o.code: o for o in OCCUPATIONS},
    "skill": {s.code: s for s in SKILLS},
    "sector": {s.code: s for s in SECTORS},
}
_AREAS_BY_CODE = {a.code: a for a in AREAS}


def _index(kind: str) -> dict[str, Entry]:
    try:
        return _BY_CODE[kind]
    except KeyError:
        raise UnknownKindError(kind) from None


def occupation(code: str | None) -> Occupation | None:
    """The occupation with this code, or None."""
    return _BY_CODE["occupation"].get(code or "")  # type: ignore[return-value]


def skill(code: str | None) -> Skill | None:
    """The skill with this code, or None."""
    return _BY_CODE["skill"].get(code or "")  # type: ignore[return-value]


def sector(code: str | None) -> Sector | None:
    """The sector with this code, or None."""
    return _BY_CODE["sector"].get(code or "")  # type: ignore[return-value]


def area(code: str | None) -> Area | None:
    """The skill area with this code, or None."""
    return _AREAS_BY_CODE.get(code or "")


def is_known(kind: str, code: str | None) -> bool:
    """Whether ``code`` is in the list of ``kind`` (occupation, skill or sector)."""
    return (code or "") in _index(kind)


def label(kind: str, code: str | None) -> str | None:
    """The English msgid labelling ``code``, or None for an unknown code."""
    entry = _index(kind).get(code or "")
    return entry.label if entry else None


def entries(kind: str) -> list[Entry]:
    """Every entry of ``kind``, in list order (for pick lists)."""
    return list(_index(kind).values())


def skills_by_area() -> list[tuple[Area, list[Skill]]]:
    """Skills grouped under their area, both in list order."""
    return [(a, [s for s in SKILLS if s.area == a.code]) for a in AREAS]


# Letters that people type for one another: Persian, Dari, Pashto and
# Sorani keyboards give ی and ک where Arabic has ي and ك, a final ه is often typed for
# ة, and hamza on a seat is often left out (NFKD already drops it from أ إ آ ؤ ئ).
# The tatweel stretches a word and the zero-width non-joiner only shapes it.
_ARABIC_SCRIPT = str.maketrans({
    "ی": "ي", "ى": "ي", "ې": "ي", "ۍ": "ي", "ے": "ي",
    "ک": "ك", "ڪ": "ك",
    "ة": "ه", "ۀ": "ه", "ە": "ه",
    "ٱ": "ا", "ء": None, "ـ": None, "\u200c": None,
    # Sorani, Kurmanji and Pashto letters typed on an Arabic or Persian keyboard.
    "ێ": "ي", "ۆ": "و", "ڕ": "ر", "ڵ": "ل", "ڤ": "ف",
    "ټ": "ت", "ډ": "د", "ړ": "ر", "ښ": "ش", "ږ": "ز", "ګ": "گ", "ځ": "ج", "ڼ": "ن",
    # Turkish dotless i, typed as i on most keyboards.
    "ı": "i",
})


# Ethiopic (Tigrinya, Amharic) writes a consonant and its vowel as one syllable, eight
# to a consonant; people spell the vowels differently ("ምግቢ" and "መግቢ", food). Each
# syllable folds to its consonant's first form, as Latin letters lose their accents.
_ETHIOPIC_VOWELS = {code: code & ~7 for code in range(0x1200, 0x1358)}


def fold(text: str) -> str:
    """Text reduced for matching: no accents or other combining marks, casefolded,
    Arabic-script letter variants made one.

    ``"Café"`` and ``"cafe"`` fold alike; Arabic loses its optional vowel marks,
    which people rarely type; ``"آشپزی"`` and ``"اشپزي"`` fold alike.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.translate(_ARABIC_SCRIPT).translate(_ETHIOPIC_VOWELS).casefold()


_WORD = re.compile(r"\w+")


def _words(folded: str) -> list[str]:
    # A word of a label also counts without the Arabic article: "الطبخ" is "طبخ" too.
    words = _WORD.findall(folded)
    return words + [w[2:] for w in words if w.startswith("ال") and len(w) > 3]


@lru_cache(maxsize=65536)
def _folded(text: str) -> tuple[str, list[str]]:
    """A label's or search word's folded text and words: the same few thousand texts
    are matched on every keystroke, so each is folded once."""
    folded = fold(text)
    return folded, _words(folded)


def _query_words(folded: str) -> list[str]:
    return [w[2:] if w.startswith("ال") and len(w) > 3 else w for w in _WORD.findall(folded)]


def _matches(query_words: list[str], text_words: list[str]) -> bool:
    # Every word typed must start some word of the text: "truck dr" and
    # "driver tru" both find "Truck driver".
    return all(any(w.startswith(q) for w in text_words) for q in query_words)


def search(kind: str, query: str, translate: Callable[[str], str], *,
           dutch: Callable[[str], str] | None = None,
           words: dict[str, list[str]] | None = None, limit: int = 20) -> list[Entry]:
    """Entries of ``kind`` whose label matches ``query``, best first.

    ``translate`` turns a msgid into the label in the user's language, ``dutch`` into
    the Dutch label; ``words`` are extra search words by code in the user's language
    (``search_words``). Each word of the query must be the start of a word of one of
    them, or of the English msgid. Labels that start with the query come first, then
    other matches of the label, then of the search words, then of the Dutch or
    English label; ties sort by translated label.
    """
    folded_query = fold(query).strip()
    query_words = _query_words(folded_query)
    if not query_words:
        return []
    words = words or {}
    ranked = []
    for entry in _index(kind).values():
        shown, shown_words = _folded(translate(entry.label))
        if shown.startswith(folded_query):
            rank = 0
        elif _matches(query_words, shown_words):
            rank = 1
        elif any(_matches(query_words, _folded(word)[1]) for word in words.get(entry.code, ())):
            rank = 2
        elif (_matches(query_words, _folded(entry.label)[1])
              or (dutch is not None and _matches(query_words, _folded(dutch(entry.label))[1]))):
            rank = 3
        else:
            continue
        ranked.append((rank, shown, entry.code, entry))
    ranked.sort(key=lambda item: item[:3])
    return [entry for *_, entry in ranked[:limit]]


SEARCH_WORDS = Path(__file__).parent / "data" / "search_words"


@lru_cache(maxsize=32)
def search_words(locale: str) -> dict[str, list[str]]:
    """Extra search words by code for ``locale`` (sync/data/search_words/<locale>.json):
    the words people use that the labels do not have. None for a locale without a list."""
    path = SEARCH_WORDS / f"{locale}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
