"""Corpus preparers (one module per corpus, ``prepare_<corpus>()``) and the shipped
manifests. Filled by the data issue."""
