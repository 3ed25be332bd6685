"""kb: a searchable knowledge base of rare-earth policy texts, standard plans and patents."""

__version__ = "0.1.0"
