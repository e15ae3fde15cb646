"""French words in Darija, spelled in Arabic script as a Moroccan speaker says them.

Darija speakers use many French words (``l'appel``, ``la facture``, ``merci``), and write them in
Latin letters inside Arabizi or Arabic-script lines. The Arabizi rules would read them as Darija
letters (``merci`` -> مركي: ``c`` is /k/ in Arabizi); this table gives the spoken form instead,
written with the letters the voices read (پ /p/, ڤ /v/, ڭ /g/), vowels spelled out as they are said.
An elided article (``l'appel``, ``d'accord``) joins the word as it does in speech: لاپيل, داكور.

The table is small on purpose: common call-center and everyday words, each checked by hand.
A lexicon given to the caller (DODa's word lists) takes precedence where it knows the word.

>>> french_word("merci")
'ميرسي'
>>> french_word("L'appel")
'لاپيل'
>>> french_word("3afak") is None
True
"""

from __future__ import annotations

from typing import Mapping

from awal.text.normalize import without_accents

__all__ = ["FRENCH", "french_word"]

#: French word (lowercase, accents optional in the lookup) -> its Darija pronunciation in Arabic script.
FRENCH: Mapping[str, str] = {
    # courtesy and conversation
    "merci": "ميرسي",
    "bonjour": "بونجور",
    "bonsoir": "بونسوار",
    "pardon": "پاردون",
    "accord": "أكور",
    "normal": "نورمال",
    "normalement": "نورمالمون",
    "exactement": "إكزاكطمون",
    "ok": "أوكي",
    "allo": "ألو",
    "voila": "ڤوالا",
    # the telephone and the network
    "appel": "أپيل",
    "rappel": "راپيل",
    "portable": "پورطابل",
    "telephone": "تيليفون",
    "numero": "نيميرو",
    "message": "ميساج",
    "messages": "ميساج",
    "internet": "أنطيرنيت",
    "reseau": "ريزو",
    "connexion": "كونيكسيون",
    "wifi": "ويفي",
    "recharge": "روشارج",
    "solde": "صولد",
    "code": "كود",
    "application": "أپليكاسيون",
    "abonnement": "أبونمون",
    "offre": "أوفر",
    "promotion": "پروموسيون",
    "forfait": "فورفي",
    # money and services
    "facture": "فاكتور",
    "compte": "كونط",
    "carte": "كارط",
    "banque": "بانكا",
    "credit": "كريدي",
    "cheque": "شيك",
    "virement": "ڤيرمون",
    "paiement": "پيمون",
    "assurance": "أسورانص",
    "contrat": "كونطرا",
    "dossier": "دوسي",
    "service": "سيرڤيس",
    "client": "كليان",
    "agence": "أجونص",
    "adresse": "أدريس",
    "probleme": "پروبليم",
    "reclamation": "ريكلاماسيون",
    "commande": "كوموند",
    "livraison": "ليڤريزون",
    "rendez-vous": "رونديڤو",
    "retard": "روطار",
    "urgent": "أورجون",
    "gratuit": "ڭراطوي",
    # everyday life
    "voiture": "ڤواتير",
    "bureau": "بيرو",
    "hopital": "أوپيطال",
    "docteur": "دوكتور",
    "pharmacie": "فارماسي",
    "taxi": "طاكسي",
    "train": "طران",
    "gare": "ڭار",
    "ticket": "تيكي",
    "stage": "سطاج",
    "formation": "فورماسيون",
    "patron": "پاطرون",
    "salaire": "صالير",
    "cafe": "كافي",
    "cadeau": "كادو",
    "marche": "مارشي",
    "quartier": "كارطيي",
    "week-end": "ويكاند",
}

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})
_ELIDED = {"l": "ل", "d": "د"}  # l'appel, d'accord


def _key(word: str) -> str:
    return without_accents(word).translate(_APOSTROPHES).lower()


def french_word(word: str) -> str | None:
    """The Darija pronunciation of a French word in Arabic script (:data:`FRENCH`), or None.

    ``word`` is one token without surrounding punctuation, in any case, with or without its
    accents, with or without an elided article (``l'``, ``d'``): the article joins the word as
    it is said (``l'appel`` لاپيل, ``l'hôpital`` لوپيطال)."""
    key = _key(word)
    if key in FRENCH:
        return FRENCH[key]
    article, apostrophe, rest = key.partition("'")
    if apostrophe and article in _ELIDED and rest in FRENCH:
        spoken = FRENCH[rest]
        if spoken[:1] in "أإ":  # the vowel's seat: kept as alif after the article, dropped before و ي
            spoken = spoken[1:] if spoken[1:2] in "وي" else "ا" + spoken[1:]
        return _ELIDED[article] + spoken
    return None
