"""Corpus preparers (``awal.data``): one module per corpus layout (``prepare_<corpus>()``), the
shared pipeline, the synthetic corpus and packs."""
