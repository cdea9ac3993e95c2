"""The vocabularies more than one service speaks: languages and genders.

One list each, so that a language code means the same to the directory's supporters and to
the professionals' listing: an officer who looks for `es` finds every Spanish speaker in
both, not only those who typed "Spanish".
"""

from __future__ import annotations

from enum import Enum

import strawberry

# ISO 639 codes (639-1 where one exists) of the languages spoken in US law enforcement
# communities; people pick from these rather than typing a name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "ase": "American Sign Language",
    "am": "Amharic",
    "ar": "Arabic",
    "bn": "Bengali",
    "zh": "Chinese",
    "hr": "Croatian",
    "cs": "Czech",
    "nl": "Dutch",
    "fa": "Persian",
    "fr": "French",
    "de": "German",
    "el": "Greek",
    "gu": "Gujarati",
    "ht": "Haitian Creole",
    "he": "Hebrew",
    "hi": "Hindi",
    "hmn": "Hmong",
    "hu": "Hungarian",
    "it": "Italian",
    "ja": "Japanese",
    "km": "Khmer",
    "ko": "Korean",
    "lo": "Lao",
    "lt": "Lithuanian",
    "nv": "Navajo",
    "pa": "Punjabi",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sm": "Samoan",
    "sr": "Serbian",
    "so": "Somali",
    "sq": "Albanian",
    "sw": "Swahili",
    "tl": "Tagalog",
    "th": "Thai",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "yi": "Yiddish",
}

# other names people give the same languages (lower case)
LANGUAGE_ALIASES: dict[str, str] = {
    "asl": "ase",
    "sign language": "ase",
    "mandarin": "zh",
    "cantonese": "zh",
    "farsi": "fa",
    "filipino": "tl",
    "haitian": "ht",
    "kreyol": "ht",
    "castilian": "es",
    "espanol": "es",
    "español": "es",
}

_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()}


def language_code(value: str) -> str | None:
    """The code of a language given by code, English name or a common other name, in any
    case (``"ES"``, ``"spanish"``, ``"Español"`` → ``"es"``); None when not in the list."""
    wanted = " ".join(value.split()).lower()
    if wanted in LANGUAGES:
        return wanted
    return _BY_NAME.get(wanted) or LANGUAGE_ALIASES.get(wanted)


@strawberry.federation.type(shareable=True, description="A language, by ISO 639 code.")
class Language:
    code: str = strawberry.field(description="ISO 639 code, e.g. `es`.")
    name: str = strawberry.field(description="Its English name, e.g. Spanish.")


def languages() -> list[Language]:
    """The network's languages, in the list's order (English and Spanish first)."""
    return [Language(code=code, name=name) for code, name in LANGUAGES.items()]


@strawberry.enum(description="A gender a person chose to state (never required).")
class Gender(Enum):
    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
