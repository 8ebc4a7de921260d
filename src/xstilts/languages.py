"""The languages of XTREME and XTREME-R: each one's name, ISO 639-3 code, family, branch and script.

The language table covers every language of XTREME (40) and XTREME-R (50; a superset of XTREME's): the union of
``XTREME_TASK2LANGS`` and ``XTREME_R_TASK2LANGS`` in google-research/xtreme's ``evaluate.py`` (commit da430dd),
which agrees with the XTREME README's list of 40 codes. Families are at the level the XTREME README names them
(Korean as Koreanic, Haitian as a creole rather than under its lexifier's family). ``iso3`` is the ISO 639-3 code
that ISO 639-1 maps to (the macrolanguage where there is one: ``ar`` → ``ara``, ``zh`` → ``zho``), the same
mapping as lang2vec's own ``letter_codes.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class LanguageInfo:
    """One language as the report groups it.

    ``code`` is the code XTREME uses (ISO 639-1); ``iso3`` the ISO 639-3 code used to look the language up in
    URIEL (``None`` when unknown); ``branch`` the major branch or genus within the family (``None`` for isolates
    and families that are not split further here).
    """

    code: str
    name: str
    iso3: str | None
    family: str
    branch: str | None
    script: str


_TABLE = (
    LanguageInfo("af", "Afrikaans", "afr", "Indo-European", "Germanic", "Latin"),
    LanguageInfo("ar", "Arabic", "ara", "Afro-Asiatic", "Semitic", "Arabic"),
    LanguageInfo("az", "Azerbaijani", "aze", "Turkic", "Oghuz", "Latin"),
    LanguageInfo("bg", "Bulgarian", "bul", "Indo-European", "Slavic", "Cyrillic"),
    LanguageInfo("bn", "Bengali", "ben", "Indo-European", "Indo-Aryan", "Bengali"),
    LanguageInfo("de", "German", "deu", "Indo-European", "Germanic", "Latin"),
    LanguageInfo("el", "Greek", "ell", "Indo-European", "Hellenic", "Greek"),
    LanguageInfo("en", "English", "eng", "Indo-European", "Germanic", "Latin"),
    LanguageInfo("es", "Spanish", "spa", "Indo-European", "Romance", "Latin"),
    LanguageInfo("et", "Estonian", "est", "Uralic", "Finnic", "Latin"),
    LanguageInfo("eu", "Basque", "eus", "Basque (isolate)", None, "Latin"),
    LanguageInfo("fa", "Persian", "fas", "Indo-European", "Iranian", "Arabic"),
    LanguageInfo("fi", "Finnish", "fin", "Uralic", "Finnic", "Latin"),
    LanguageInfo("fr", "French", "fra", "Indo-European", "Romance", "Latin"),
    LanguageInfo("gu", "Gujarati", "guj", "Indo-European", "Indo-Aryan", "Gujarati"),
    LanguageInfo("he", "Hebrew", "heb", "Afro-Asiatic", "Semitic", "Hebrew"),
    LanguageInfo("hi", "Hindi", "hin", "Indo-European", "Indo-Aryan", "Devanagari"),
    LanguageInfo("ht", "Haitian Creole", "hat", "Creole", "French-based", "Latin"),
    LanguageInfo("hu", "Hungarian", "hun", "Uralic", "Ugric", "Latin"),
    LanguageInfo("id", "Indonesian", "ind", "Austronesian", "Malayo-Polynesian", "Latin"),
    LanguageInfo("it", "Italian", "ita", "Indo-European", "Romance", "Latin"),
    LanguageInfo("ja", "Japanese", "jpn", "Japonic", None, "Japanese (kanji+kana)"),
    LanguageInfo("jv", "Javanese", "jav", "Austronesian", "Malayo-Polynesian", "Latin"),
    LanguageInfo("ka", "Georgian", "kat", "Kartvelian", None, "Georgian"),
    LanguageInfo("kk", "Kazakh", "kaz", "Turkic", "Kipchak", "Cyrillic"),
    LanguageInfo("ko", "Korean", "kor", "Koreanic", None, "Hangul"),
    LanguageInfo("lt", "Lithuanian", "lit", "Indo-European", "Baltic", "Latin"),
    LanguageInfo("ml", "Malayalam", "mal", "Dravidian", "South Dravidian", "Malayalam"),
    LanguageInfo("mr", "Marathi", "mar", "Indo-European", "Indo-Aryan", "Devanagari"),
    LanguageInfo("ms", "Malay", "msa", "Austronesian", "Malayo-Polynesian", "Latin"),
    LanguageInfo("my", "Burmese", "mya", "Sino-Tibetan", "Lolo-Burmese", "Myanmar"),
    LanguageInfo("nl", "Dutch", "nld", "Indo-European", "Germanic", "Latin"),
    LanguageInfo("pa", "Punjabi", "pan", "Indo-European", "Indo-Aryan", "Gurmukhi"),
    LanguageInfo("pl", "Polish", "pol", "Indo-European", "Slavic", "Latin"),
    LanguageInfo("pt", "Portuguese", "por", "Indo-European", "Romance", "Latin"),
    LanguageInfo("qu", "Quechua", "que", "Quechuan", None, "Latin"),
    LanguageInfo("ro", "Romanian", "ron", "Indo-European", "Romance", "Latin"),
    LanguageInfo("ru", "Russian", "rus", "Indo-European", "Slavic", "Cyrillic"),
    LanguageInfo("sw", "Swahili", "swa", "Niger-Congo", "Bantu", "Latin"),
    LanguageInfo("ta", "Tamil", "tam", "Dravidian", "South Dravidian", "Tamil"),
    LanguageInfo("te", "Telugu", "tel", "Dravidian", "South-Central Dravidian", "Telugu"),
    LanguageInfo("th", "Thai", "tha", "Kra-Dai", "Tai", "Thai"),
    LanguageInfo("tl", "Tagalog", "tgl", "Austronesian", "Malayo-Polynesian", "Latin"),
    LanguageInfo("tr", "Turkish", "tur", "Turkic", "Oghuz", "Latin"),
    LanguageInfo("uk", "Ukrainian", "ukr", "Indo-European", "Slavic", "Cyrillic"),
    LanguageInfo("ur", "Urdu", "urd", "Indo-European", "Indo-Aryan", "Arabic"),
    LanguageInfo("vi", "Vietnamese", "vie", "Austroasiatic", "Vietic", "Latin"),
    LanguageInfo("wo", "Wolof", "wol", "Niger-Congo", "Atlantic", "Latin"),
    LanguageInfo("yo", "Yoruba", "yor", "Niger-Congo", "Volta-Niger", "Latin"),
    LanguageInfo("zh", "Chinese", "zho", "Sino-Tibetan", "Sinitic", "Han"),
)

LANGUAGES: Mapping[str, LanguageInfo] = MappingProxyType({info.code: info for info in _TABLE})
"""Every XTREME and XTREME-R language, by its XTREME code."""
