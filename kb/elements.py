"""The rare-earth elements: the Chinese character that names each one and its symbol.

One table for the analyzer (element names and symbols as synonyms) and the price register
(an alloy's content spec names its element).
"""

RARE_EARTHS = {
    "镧": "La",
    "铈": "Ce",
    "镨": "Pr",
    "钕": "Nd",
    "钷": "Pm",
    "钐": "Sm",
    "铕": "Eu",
    "钆": "Gd",
    "铽": "Tb",
    "镝": "Dy",
    "钬": "Ho",
    "铒": "Er",
    "铥": "Tm",
    "镱": "Yb",
    "镥": "Lu",
    "钇": "Y",
    "钪": "Sc",
}
