"""The rare-earth elements: the Chinese character that names each one and its symbol.

One table for the analyzer (element names and symbols as synonyms) and the price register
(an alloy's content spec names its element); OXIDES gives each element's usual oxide, the form
prices and standards quote (氧化镝, Dy2O3).
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

# The oxide each element is traded and specified as: 氧化X and its formula name the same product.
OXIDES = {
    "镧": "La2O3",
    "铈": "CeO2",
    "镨": "Pr6O11",
    "钕": "Nd2O3",
    "钐": "Sm2O3",
    "铕": "Eu2O3",
    "钆": "Gd2O3",
    "铽": "Tb4O7",
    "镝": "Dy2O3",
    "钬": "Ho2O3",
    "铒": "Er2O3",
    "铥": "Tm2O3",
    "镱": "Yb2O3",
    "镥": "Lu2O3",
    "钇": "Y2O3",
    "钪": "Sc2O3",
}
